import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** One request as the server saw it: enough to prove a browser fetched cross-origin. */
export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  /** The `Origin` header: browsers send it on cross-origin fetches, which is what CORS is about. */
  readonly origin: string | undefined;
  readonly status: number;
}

export interface StaticServer {
  /** `http://127.0.0.1:<port>`: an origin of its own, since the port is part of the origin. */
  readonly origin: string;
  readonly requests: readonly LoggedRequest[];
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** Maps a URL path to a file on disk, or undefined for 404. */
  readonly resolve: (urlPath: string) => string | undefined;
  /** Send `Access-Control-Allow-Origin: *` and answer preflights. Off = a server players must fail on. */
  readonly cors: boolean;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.ts': 'video/mp2t',
};

/** A GET-only file server on 127.0.0.1 and a free port. Nothing is cached: live playlists change. */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const requests: LoggedRequest[] = [];
  const server = createServer((req, res) => {
    void answer(req, res, options).then((status) => {
      requests.push({ method: req.method ?? '', path: req.url ?? '', origin: req.headers.origin, status });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      // Browsers keep connections alive; without this close() would wait for them to time out.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves URL paths inside `root`; anything that would escape it is not found. */
export function directoryResolver(root: string): (urlPath: string) => string | undefined {
  const base = path.resolve(root);
  return (urlPath) => {
    const file = path.resolve(base, `.${decodeURIComponent(urlPath)}`);
    return file.startsWith(base + path.sep) ? file : undefined;
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, options: StaticServerOptions): Promise<number> {
  if (options.cors) {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', '*');
    res.setHeader('Access-Control-Expose-Headers', 'Content-Length, Content-Range');
  }
  res.setHeader('Cache-Control', 'no-store');
  if (req.method === 'OPTIONS' && options.cors) return end(res, 204);
  if (req.method !== 'GET' && req.method !== 'HEAD') return end(res, 405);
  const urlPath = new URL(req.url ?? '/', 'http://localhost').pathname;
  const file = options.resolve(urlPath);
  const size = file ? await stat(file).then((s) => (s.isFile() ? s.size : undefined), () => undefined) : undefined;
  if (!file || size === undefined) return end(res, 404);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
  });
  if (req.method === 'HEAD') return end(res, 200);
  createReadStream(file)
    .on('error', () => res.destroy())
    .pipe(res);
  return 200;
}

function end(res: ServerResponse, status: number): number {
  if (!res.headersSent) res.statusCode = status;
  res.end();
  return status;
}
