import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Finds chromium's processes through Linux /proc so that closing a browser can be checked and
 * enforced: Playwright kills the browser process, but chromium's zygotes and renderers are its
 * children, not ours, and outlive it for a moment (as zombies handed to PID 1).
 */

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** proc(5) state: R running, S sleeping, Z zombie (exited, not yet reaped), ... */
  readonly state: string;
  /** The executable name (kept by zombies, whose command line is empty). */
  readonly comm: string;
  readonly args: string[];
}

/** One process from /proc/<pid>, or undefined once it is gone. */
export function readProcess(pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split at the last ')'.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    const [state = '?', ppid = '0'] = stat.slice(close + 2).split(' ');
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return { pid, ppid: Number(ppid), state, comm: stat.slice(open + 1, close), args };
  } catch {
    return undefined;
  }
}

function allProcesses(): ProcessInfo[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((entry) => readProcess(Number(entry)))
    .filter((p): p is ProcessInfo => p !== undefined);
}

/**
 * Every process of the browser that uses this profile directory: the browser, its descendants,
 * and its crash handlers, which detach (their parent is PID 1) but name the directory.
 */
export function browserProcessTree(userDataDir: string): ProcessInfo[] {
  const namesDirectory = (arg: string) => arg === `--user-data-dir=${userDataDir}` || arg.includes(`${userDataDir}/`);
  const processes = allProcesses();
  const tree = processes.filter((p) => p.args.some(namesDirectory));
  const inTree = new Set(tree.map((p) => p.pid));
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of processes) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        tree.push(p);
        grew = true;
      }
    }
  }
  return tree;
}

/** The same process still exists (pids get reused, so the executable name must match too). */
export function stillThere(original: ProcessInfo): ProcessInfo | undefined {
  const now = readProcess(original.pid);
  return now && now.comm === original.comm ? now : undefined;
}

/**
 * Waits up to `graceMs` for every process of `tree` to end and be reaped, then SIGKILLs the
 * living ones and waits again. Zombies can only be reaped by their parent (PID 1 for chromium's
 * orphans), so some may remain: they are returned.
 */
export async function endProcesses(tree: readonly ProcessInfo[], graceMs = 5000): Promise<ProcessInfo[]> {
  const remaining = () => tree.map(stillThere).filter((p): p is ProcessInfo => p !== undefined);
  const waitForEnd = async () => {
    for (let waited = 0; waited < graceMs && remaining().length > 0; waited += 100) await sleep(100);
  };
  await waitForEnd();
  const living = remaining().filter((p) => p.state !== 'Z');
  for (const p of living) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // It ended meanwhile.
    }
  }
  if (living.length > 0) await waitForEnd();
  return remaining();
}
