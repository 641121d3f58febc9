import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Serves the built web console (console/ in the repository, built into dist/console/) and knows
 * nothing else about it: `GET /` is index.html (`Cache-Control: no-cache`, with an ETag so a
 * reload costs a 304), `GET /assets/<hashed name>` are immutable for a year (the build names
 * them after their content), and any other GET that accepts text/html on a path no API,
 * playback or operability route took is index.html too (deep links into the single-page app).
 * Everything else — the API's POST routes, `/hls/v1/*`, `/dash/v1/*`, `/metrics`,
 * `/health/*` — never reaches here.
 */
export const DEFAULT_CONSOLE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'console');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const IMMUTABLE = 'public, max-age=31536000, immutable';

interface CachedFile {
  readonly mtimeMs: number;
  readonly body: Buffer;
  readonly etag: string;
}

export function serveStaticConsole(dir: string) {
  const cache = new Map<string, CachedFile>();
  const load = async (file: string): Promise<CachedFile | undefined> => {
    let info;
    try {
      info = await stat(file);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = cache.get(file);
    if (cached && cached.mtimeMs === info.mtimeMs) return cached;
    const body = await readFile(file);
    const entry = { mtimeMs: info.mtimeMs, body, etag: `"${createHash('sha1').update(body).digest('base64url')}"` };
    cache.set(file, entry);
    return entry;
  };

  return async (req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<boolean> => {
    if (rawPath.startsWith('/assets/')) {
      const name = rawPath.slice('/assets/'.length);
      // Flat folder of built files: no subfolders, no dot-files, nothing percent-encoded.
      if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) return false;
      const file = await load(path.join(dir, 'assets', name));
      if (!file) return false;
      send(req, res, file, contentType(name), IMMUTABLE);
      return true;
    }
    const wantsPage = rawPath === '/' || rawPath === '/index.html' || /\btext\/html\b/.test(req.headers.accept ?? '');
    if (!wantsPage) return false;
    const index = await load(path.join(dir, 'index.html'));
    if (!index) return false;
    send(req, res, index, CONTENT_TYPES['.html']!, 'no-cache');
    return true;
  };
}

function contentType(name: string): string {
  return CONTENT_TYPES[path.extname(name).toLowerCase()] ?? 'application/octet-stream';
}

function send(req: IncomingMessage, res: ServerResponse, file: CachedFile, type: string, cacheControl: string): void {
  res.setHeader('cache-control', cacheControl);
  res.setHeader('etag', file.etag);
  res.setHeader('x-content-type-options', 'nosniff');
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304);
    res.end();
    return;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': file.body.byteLength });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}
