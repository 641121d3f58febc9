#!/usr/bin/env node
// Compiles the TypeScript (tsc -p tsconfig.json), builds the web console (scripts/build-console.mjs:
// console/ → dist/console/) and records a successful build in
// dist/.build-complete. With --if-stale it first compares that record with every input's
// modification time and does nothing when none is newer, so `npm start` on a current build
// starts the server at once instead of spending tens of seconds in tsc.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-complete');
/**
 * What the build reads: tsconfig.json's "include", the config itself, the installed packages'
 * versions, and the console's sources and build script.
 */
const INPUTS = ['src', 'test', 'bench', 'tsconfig.json', 'package-lock.json', 'console', 'scripts/build-console.mjs'];

function newestMtimeMs(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted or renamed file changes its folder's time
  for (const name of readdirSync(entry)) newest = Math.max(newest, newestMtimeMs(path.join(entry, name)));
  return newest;
}

function isCurrent() {
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  return INPUTS.every((input) => newestMtimeMs(path.join(root, input)) <= built);
}

if (process.argv.includes('--if-stale') && isCurrent()) process.exit(0);
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
  const { buildConsole } = await import('./build-console.mjs');
  await buildConsole();
} catch (err) {
  if (!(err instanceof Error && 'status' in err)) console.error(err);
  process.exit(1);
}
writeFileSync(stamp, `${new Date().toISOString()}\n`);
