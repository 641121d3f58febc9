import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type { AppContext } from '../api/context.js';
import type { GetResource } from './handler.js';
import { settleWithin } from '../util/settle-within.js';

/**
 * Resources for load balancers, orchestrators and Prometheus, outside the KVS API (no SigV4):
 *
 * - `GET /health/live`: 200 while the process serves HTTP at all.
 * - `GET /health/ready`: 200 when the index and the blob store each answer a small read within
 *   `readyTimeoutMs`, else 503 naming the one that did not (take the node out of rotation).
 * - `GET /metrics`: Prometheus text. Who may read it: in open mode anyone who can reach the port
 *   (open mode binds loopback unless --insecure); in secured mode (--credentials) a request with
 *   `Authorization: Bearer <--metrics-token>`, or, without --metrics-token, loopback clients only.
 */
export interface OperabilityOptions {
  /** Secured mode: SigV4 is required for the API. */
  readonly secured: boolean;
  readonly metricsToken: string | undefined;
  readonly readyTimeoutMs?: number;
  /** Prometheus text appended to openkvs's own (the relays' state with serve --relays). */
  readonly extraMetrics?: (() => string) | undefined;
  /** The whole text instead of this process's metrics and extraMetrics (`serve --workers`). */
  readonly metricsText?: (() => Promise<string>) | undefined;
}

export const READY_TIMEOUT_MS = 2_000;
/** A key no object ever has: `size` answers undefined after one round trip to the store. */
const PROBE_KEY = 'openkvs-health/probe';

export function buildOperabilityRoutes(app: AppContext, options: OperabilityOptions): Map<string, GetResource> {
  const bound = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  return new Map<string, GetResource>([
    ['/health/live', async (_req, res) => sendText(res, 200, 'application/json', '{"status":"live"}\n')],
    [
      '/health/ready',
      async (_req, res) => {
        const [index, blobs] = await Promise.all([
          settleWithin(bound, app.index.listStreams({ limit: 1 })),
          settleWithin(bound, app.blobs.size(PROBE_KEY)),
        ]);
        const ok = index === 'ok' && blobs === 'ok';
        const body = { status: ok ? 'ready' : 'unavailable', index, blobStore: blobs };
        sendText(res, ok ? 200 : 503, 'application/json', `${JSON.stringify(body)}\n`);
      },
    ],
    [
      '/metrics',
      async (req, res) => {
        const refusal = metricsRefusal(req, options);
        if (refusal) {
          res.setHeader('www-authenticate', 'Bearer realm="openkvs metrics"');
          return sendText(res, refusal, 'text/plain; charset=utf-8', `${refusal === 401 ? 'bearer token required' : 'forbidden'}\n`);
        }
        const text = options.metricsText ? await options.metricsText() : (await app.metrics.text()) + (options.extraMetrics?.() ?? '');
        sendText(res, 200, app.metrics.contentType, text);
      },
    ],
  ]);
}

/** 401/403 when the request may not read /metrics, else undefined. */
function metricsRefusal(req: IncomingMessage, options: OperabilityOptions): 401 | 403 | undefined {
  if (options.metricsToken !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    if (!match) return 401;
    const given = Buffer.from(match[1]!.trim());
    const expected = Buffer.from(options.metricsToken);
    return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 403;
  }
  if (!options.secured) return undefined;
  return isLoopbackAddress(req.socket.remoteAddress) ? undefined : 403;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

function sendText(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
