import type { Dirent } from 'node:fs';
import { mkdir, open, opendir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Durability and directory-walking helpers shared by the filesystem blob store's parts. */

/** Errors meaning "there is no file at this path" (ENOTDIR: a parent path is a file). */
export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * mkdir -p, then fsyncs the parent of every directory it created so the new entries survive a
 * crash. `dir` itself is not fsynced: callers do that once they have put their entry in it.
 */
export async function mkdirDurably(dir: string): Promise<void> {
  const firstCreated = await mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  for (let created = dir; ; created = dirname(created)) {
    await fsyncDirectory(dirname(created));
    if (created === firstCreated) return;
  }
}

export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Regular files below `folder`, as path segments relative to it, except those `skip` names. */
export async function* walkFiles(folder: string, skip: (fileName: string) => boolean): AsyncGenerator<string[]> {
  for (const entry of await readEntries(folder)) {
    if (entry.isDirectory()) {
      for await (const inner of walkFiles(join(folder, entry.name), skip)) yield [entry.name, ...inner];
    } else if (entry.isFile() && !skip(entry.name)) {
      yield [entry.name];
    }
  }
}

/** The entries of `folder`; none when it does not exist (or was removed meanwhile). */
export async function readEntries(folder: string): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  try {
    for await (const entry of await opendir(folder)) entries.push(entry);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  return entries;
}
