import { readFileSync } from 'node:fs';

/**
 * A process and its live descendants, from /proc (Linux): what a benchmark measures is often a
 * tree (a relay and its ffmpegs, `serve --workers` and its workers). A process gone meanwhile has none.
 */
export function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // Gone meanwhile.
  }
  return [pid, ...children.flatMap(processTree)];
}
