import type { RelayView } from './api/openkvs/list-relays.js';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppContext } from './api/context.js';
import { buildPlaybackRoutes, buildRoutes } from './api/routes.js';
import { ConnectionSlots, localSlots, type StreamSlots } from './archive/connection-slots.js';
import { GET_MEDIA_CONNECTIONS_PER_STREAM } from './api/media/get-media.js';
import { RetentionSweeper, type RetentionOptions, type SweepReport } from './archive/retention-sweeper.js';
import { ConfigError, listenUrl, type ServerOptions } from './config.js';
import { IssuedCredentialKeys } from './access/issued-credentials.js';
import { KeyStore, type KeyEntry } from './access/key-store.js';
import { acceptAll, requireSigV4, type Authenticate } from './http/authenticate.js';
import { loadCredentialsFile } from './http/credentials.js';
import { createCors } from './http/cors.js';
import { endSocketsOnClientFin } from './http/half-close.js';
import { createRequestHandler, type RouteTables } from './http/handler.js';
import { buildOperabilityRoutes } from './http/operability.js';
import { DEFAULT_CONSOLE_DIR, serveStaticConsole } from './http/static-console.js';
import type { FragmentNumbers } from './ingest/fragment-numbers.js';
import { IngestService, type IdleTimings } from './ingest/ingest-service.js';
import { THROTTLE_TIMEOUT_MS } from './ingest/limits.js';
import { IngestBudget } from './ingest/memory-budget.js';
import { PlaybackService } from './playback/playback-service.js';
import { StillPool } from './stills/still-pool.js';
import { resolveSessionSecret, SessionSecretError } from './playback/session-secret.js';
import type { BlobStore } from './storage/blob-store.js';
import type { FragmentFeed } from './storage/fragment-feed.js';
import type { IndexStore } from './storage/index-store.js';
import { openBlobStore, openFragmentFeed, openIndexStore, redactStorageUrl } from './storage/open.js';
import { recoverUnreferencedBytes } from './storage/recover.js';
import { systemClock, type Clock } from './util/clock.js';
import { createLogger, type Logger } from './util/logger.js';
import { KvsMetrics } from './util/metrics.js';
import { settleWithin } from './util/settle-within.js';

export type { ServerOptions } from './config.js';
export { resolveOptions } from './config.js';

export interface OpenKvsServer {
  /** The URL the server listens on, e.g. http://127.0.0.1:4570. */
  readonly url: string;
  /** What GetDataEndpoint answers. */
  readonly publicUrl: string;
  readonly log: Logger;
  /** Runs a retention sweep now (it also runs every `retention.intervalMs`). */
  sweepRetention(): Promise<SweepReport>;
  /**
   * Re-reads `--credentials` (SIGHUP): removed keys and the credentials they issued stop working
   * at once, and PutMedia sessions that may no longer write are ended with an error ack. A file
   * that does not load leaves the current keys in place and throws ConfigError. Open mode: no-op.
   */
  reloadCredentials(): { removed: string[]; revokedSessions: number };
  /** This process's metrics (prom-client JSON): what the primary of `serve --workers` sums for /metrics. */
  metricsJson(): ReturnType<KvsMetrics['json']>;
  /** Stops accepting connections, ends open ones and closes storage. Safe to call twice. */
  close(): Promise<void>;
}

export interface ServerDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly putMediaIdle?: IdleTimings;
  /** How long the memory budget may keep a PutMedia session from reading before it is shed (tests shorten it). */
  readonly putMediaThrottleTimeoutMs?: number;
  /** Retention sweeper timings (tests sweep on demand with a long interval). */
  readonly retention?: Partial<RetentionOptions>;
  /** Opens the blob store from `--storage` (tests use small segment files). */
  readonly openBlobStore?: (storageUrl: string) => Promise<BlobStore>;
  /** How many stream names get their own metrics label (the rest: `_other`). */
  readonly metricsMaxStreams?: number;
  /** The built console (default: dist/console beside dist/src). */
  readonly consoleDir?: string;
  /** More Prometheus text for GET /metrics, after openkvs's own (serve --relays: each relay's state). */
  readonly metrics?: () => string;
  /** All of GET /metrics instead of this process's (`serve --workers`: every worker's, summed). */
  readonly metricsText?: () => Promise<string>;
  /** The relays running in this process (serve --relays), for POST /openkvs/listRelays. */
  readonly relays?: () => readonly RelayView[];
  /**
   * Storage opened, recovered and swept elsewhere (`serve --workers` on the embedded backend: by
   * the primary, reached over IPC); by default this process opens `--index` and `--storage` itself.
   */
  readonly storage?: ProvidedStorage;
  /** GetMedia's connections per stream, counted for the whole box (`serve --workers`: in the primary); by default here. */
  readonly getMediaSlots?: StreamSlots;
  /** Where fragment numbers come from (`serve --workers`: the primary, so that they increase in arrival order across workers); by default an allocator here. */
  readonly fragmentNumbers?: FragmentNumbers;
}

/** The retention sweeper as the server uses it. */
export type Sweeper = Pick<RetentionSweeper, 'enforce' | 'streamDeleted' | 'sweep' | 'start' | 'stop'>;

export interface ProvidedStorage {
  readonly index: IndexStore;
  readonly blobs: BlobStore;
  readonly feed: FragmentFeed;
  readonly sweeper: Sweeper;
}

/** Opens storage, binds the port and starts serving every KVS API on it. */
export async function startServer(options: ServerOptions, deps: ServerDeps = {}): Promise<OpenKvsServer> {
  const log = deps.logger ?? createLogger(options.logLevel);
  const clock = deps.clock ?? systemClock;
  // The credentials file first: a bad one (or a bad policy) stops the start before anything is written.
  const entries = options.credentialsFile === undefined ? undefined : readCredentials(options.credentialsFile);
  const sessionSecret = await loadSessionSecret(options);
  const keys = entries === undefined ? undefined : new KeyStore(entries, new IssuedCredentialKeys(sessionSecret), clock);
  const authenticate: Authenticate = keys ? requireSigV4(keys, clock) : acceptAll;
  const { index, blobs, feed } = deps.storage ?? (await openStorage(options, log, deps));
  // Started below, once listening: recovery must be over before anything deletes or appends.
  const sweeper = deps.storage?.sweeper ?? new RetentionSweeper(index, blobs, clock, log, deps.retention);
  // PutMedia and GetMedia hold a request open for up to ~45 minutes: no whole-request timeout.
  const http = createHttpServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 });
  endSocketsOnClientFin(http);
  const port = await listen(http, options.host, options.port).catch(async (err: unknown) => {
    await Promise.all([index.close(), blobs.close(), feed.close()]);
    throw err;
  });
  const url = listenUrl(options.host, port);
  const metrics = new KvsMetrics(deps.metricsMaxStreams);
  const budget = new IngestBudget({ limitBytes: options.ingestMemoryBudgetBytes, throttleTimeoutMs: deps.putMediaThrottleTimeoutMs ?? THROTTLE_TIMEOUT_MS }, log);
  metrics.watchIngestBudget(budget);
  const app: AppContext = {
    index,
    blobs,
    region: options.region,
    accountId: options.accountId,
    publicUrl: options.publicUrl ?? url,
    clock,
    log,
    ingest: new IngestService(index, blobs, log, feed, deps.putMediaIdle, undefined, budget, deps.fragmentNumbers),
    feed,
    getMediaSlots: deps.getMediaSlots ?? localSlots(new ConnectionSlots(GET_MEDIA_CONNECTIONS_PER_STREAM)),
    playback: new PlaybackService(index, feed, sessionSecret),
    retention: sweeper,
    stills: new StillPool(),
    keys,
    metrics,
    ...(deps.relays && { relays: deps.relays }),
  };
  sweeper.start();
  const routes: RouteTables = {
    operations: buildRoutes(),
    playback: buildPlaybackRoutes(),
    operability: buildOperabilityRoutes(app, { secured: options.credentialsFile !== undefined, metricsToken: options.metricsToken, extraMetrics: deps.metrics, metricsText: deps.metricsText }),
    site: serveStaticConsole(deps.consoleDir ?? DEFAULT_CONSOLE_DIR),
  };
  const handler = createRequestHandler(app, routes, authenticate, createCors(options.corsOrigins));
  http.on('request', handler);
  // Requests with `Expect: 100-continue` too: each route decides when to let the body come.
  http.on('checkContinue', handler);
  log.info({ url, publicUrl: app.publicUrl, index: redactStorageUrl(options.indexUrl), storage: options.storageUrl }, 'openkvs listening');
  let closing: Promise<void> | undefined;
  const close = () => (closing ??= shutdown(http, app, sweeper));
  const reloadCredentials = () => {
    if (!keys || options.credentialsFile === undefined) return { removed: [], revokedSessions: 0 };
    const result = keys.replace(readCredentials(options.credentialsFile));
    log.info({ credentials: options.credentialsFile, ...result }, 'credentials reloaded');
    return result;
  };
  return { url, publicUrl: app.publicUrl, log, sweepRetention: () => sweeper.sweep(), reloadCredentials, metricsJson: () => metrics.json(), close };
}

/** Index, blobs and feed, recovered and ready; whatever opened is closed again if a later step fails. */
export async function openStorage(options: ServerOptions, log: Logger, deps: Pick<ServerDeps, 'openBlobStore'> = {}) {
  const opened: { close(): Promise<void> }[] = [];
  try {
    const index = await openIndexStore(options.indexUrl);
    opened.push(index);
    const blobs = await (deps.openBlobStore ?? ((url) => openBlobStore(url, { s3: options.s3 })))(options.storageUrl);
    opened.push(blobs);
    const recovered = await recoverUnreferencedBytes(index, blobs);
    if (recovered.trimmedBytes > 0 || recovered.deletedObjects > 0) log.info(recovered, 'removed fragment bytes that no index entry references');
    const feed = await openFragmentFeed(options.indexUrl, log);
    return { index, blobs, feed };
  } catch (err) {
    await Promise.all(opened.map((store) => store.close()));
    throw err;
  }
}

/** Loaded once: every node verifies every token only if they all sign with the same secret. */
export async function loadSessionSecret(options: ServerOptions): Promise<Buffer> {
  try {
    return await resolveSessionSecret({ dataDir: options.dataDir, configured: options.sessionSecret });
  } catch (err) {
    if (err instanceof SessionSecretError) throw new ConfigError(`session secret: ${err.message}`);
    throw err;
  }
}

/** The credentials file's keys and their policies; any problem is a ConfigError naming the file, key and statement. */
export function readCredentials(file: string): KeyEntry[] {
  try {
    return loadCredentialsFile(file);
  } catch (err) {
    throw new ConfigError(`--credentials: ${(err as Error).message}`);
  }
}

function listen(http: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve((http.address() as AddressInfo).port);
    });
  });
}

/** How long a stop waits for PutMedia sessions to hand over their PERSISTED acks and end (a stuck disk must not hang it). */
const STOP_SESSIONS_MS = 5_000;
/** Then how long open connections (GetMedia, producers reading their last acks) get before they are cut. */
const STOP_CONNECTIONS_MS = 2_000;

/**
 * Stops in the order that loses no ack: no new connection or PutMedia session; each PutMedia
 * session stops reading, drops the fragment it was receiving and ends its response once every
 * fragment it handed to the committer has its PERSISTED ack written; only then are connections
 * cut and storage closed. Cutting PutMedia connections first (as openkvs once did) let fragments
 * commit after their connection was gone: durable, never acked, sent again and stored twice.
 */
async function shutdown(http: Server, app: AppContext, sweeper: Sweeper): Promise<void> {
  const deadline = Date.now() + STOP_SESSIONS_MS;
  await sweeper.stop();
  const closed = new Promise<void>((resolve) => http.close(() => resolve()));
  http.closeIdleConnections();
  if ((await settleWithin(deadline - Date.now(), app.ingest.sessions.stopAll())) === 'timeout') app.log.warn('PutMedia sessions did not end in time; their connections are cut');
  const force = setTimeout(() => http.closeAllConnections(), STOP_CONNECTIONS_MS);
  await closed;
  clearTimeout(force);
  if ((await settleWithin(deadline - Date.now(), app.ingest.drain())) === 'timeout') app.log.warn('fragments still committing at stop; storage is closed under them');
  await Promise.all([app.index.close(), app.blobs.close(), app.feed.close(), app.stills.close()]);
  app.log.info('openkvs stopped');
}
