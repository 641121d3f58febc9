import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test/...). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface RunningServer {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every stdout line seen so far (pino JSON). */
  readonly lines: string[];
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Spawns a server command and waits for its "openkvs listening" log line. The command runs in a
 * process group of its own so that stop() reaches the server behind wrappers such as `npm start`.
 */
export async function spawnServer(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<RunningServer> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s; stderr: ${stderr}`)), 60_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening; stderr: ${stderr}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const url = listeningUrl(line);
      if (url) {
        clearTimeout(timer);
        resolve(url);
      }
    });
  });
  return {
    child,
    url,
    lines,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

function listeningUrl(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    return entry.msg === 'openkvs listening' ? entry.url : undefined;
  } catch {
    return undefined;
  }
}

/** The first of `candidates` (absolute paths, or names looked up on PATH) that exists. */
export function findTool(candidates: string[]): string | undefined {
  const dirs = (process.env['PATH'] ?? '').split(path.delimiter).filter(Boolean);
  for (const candidate of candidates) {
    if (path.isAbsolute(candidate)) {
      if (existsSync(candidate)) return candidate;
      continue;
    }
    const found = dirs.map((dir) => path.join(dir, candidate)).find((file) => existsSync(file));
    if (found) return found;
  }
  return undefined;
}

/**
 * Interop tests need real AWS clients; where one is missing they skip with the reason, except
 * in CI (CI=true), where .ci/run installs them and a missing client must fail the run.
 */
export function skipUnlessPresent(tool: string | undefined, install: string): string | false {
  if (tool) return false;
  if (process.env['CI'] === 'true') throw new Error(`${install} is required in CI`);
  return `needs ${install}`;
}
