#!/usr/bin/env node
// Builds the web console (console/) into dist/console/: type-checks it with its own tsconfig
// (DOM lib, Preact JSX), then bundles it with esbuild — already a devDependency (the browser
// tests bundle the AWS SDK with it), fast enough to run on every `npm run build`, and it picks
// the packages' `browser` entries (fetch, WebCrypto) the way a web app's bundler does. Nothing is
// fetched at run time: the AWS SDK v3 clients, hls.js and Preact are all in the bundle.
//
// Output: dist/console/index.html (served with Cache-Control: no-cache) and
// dist/console/assets/<name>-<content hash>.{js,css} (served immutable).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'console');
const out = path.join(root, 'dist', 'console');

export async function buildConsole({ typecheck = true } = {}) {
  if (typecheck) {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', path.join(src, 'tsconfig.json')], { stdio: 'inherit' });
  }
  rmSync(out, { recursive: true, force: true });
  mkdirSync(path.join(out, 'assets'), { recursive: true });
  const result = await build({
    entryPoints: [path.join(src, 'src', 'main.tsx')],
    outdir: path.join(out, 'assets'),
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    bundle: true,
    // hls.js (half the bytes) is a chunk of its own, loaded by the stream page only.
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const built = Object.keys(result.metafile.outputs).map((file) => path.basename(file));
  const js = built.find((f) => f.startsWith('main-') && f.endsWith('.js'));
  const css = built.find((f) => f.endsWith('.css'));
  if (!js) throw new Error('console build produced no JavaScript');
  const html = readFileSync(path.join(src, 'index.html'), 'utf8')
    .replace('<!--CSS-->', css ? `<link rel="stylesheet" href="/assets/${css}">` : '')
    .replace('<!--JS-->', `<script type="module" src="/assets/${js}"></script>`);
  writeFileSync(path.join(out, 'index.html'), html);
  return { js, css };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildConsole({ typecheck: !process.argv.includes('--no-typecheck') });
}
