import cluster, { type Worker } from 'node:cluster';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import { ConfigError, type ServerOptions } from '../config.js';
import { loadSessionSecret, openStorage, readCredentials, type OpenKvsServer, type ServerDeps } from '../server.js';
import { FragmentNumberAllocator } from '../ingest/fragment-numbers.js';
import type { IndexStore } from '../storage/index-store.js';
import { isSharedIndex, openIndexStore, redactStorageUrl } from '../storage/open.js';
import { systemClock } from '../util/clock.js';
import { createLogger, type Logger } from '../util/logger.js';
import { NOTE, workerEnd, type RelayStatusNote, type WorkerStart } from './processes.js';
import { RpcClient, serveCalls, type CallTarget, type MessageEnd } from './rpc.js';
import { TARGET } from './storage-calls.js';
import { BoxSlots } from './box-slots.js';
import { StorageHost } from './storage-host.js';
import type { SweepReport } from '../archive/retention-sweeper.js';

/** How long a worker that died waits before it is replaced, so a worker that cannot start does not spin. */
const RESPAWN_DELAY_MS = 1_000;
/** How often `serve --relays` state is pushed to the workers (ListRelays, /metrics). */
const RELAY_STATUS_EVERY_MS = 1_000;

interface RunningWorker {
  readonly worker: Worker;
  readonly end: MessageEnd;
  readonly rpc: RpcClient;
}

/**
 * `serve --workers N`: N worker processes share the port (node:cluster; the primary accepts each
 * connection and hands it to the next worker in turn) and each runs HTTP, the API and PutMedia,
 * appending fragments to segment series of its own. On the embedded backend this process is the
 * storage process (see storage-host.ts and docs/architecture.md, "Ingest across cores"); on
 * PostgreSQL + S3 each worker is a node of its own, as separate servers on the same backend are.
 */
export async function startWorkers(options: ServerOptions, deps: ServerDeps = {}): Promise<OpenKvsServer> {
  const count = options.workers;
  const log = deps.logger ?? createLogger(options.logLevel);
  // A bad file stops the start here, before anything is forked or written.
  let keyIds = options.credentialsFile === undefined ? [] : readCredentials(options.credentialsFile).map((k) => k.accessKeyId);
  // Resolved here once: workers creating a secret in the data dir at the same moment would each keep another.
  const sessionSecret = (await loadSessionSecret(options)).toString('hex');
  const embedded = !isSharedIndex(options.indexUrl);
  let host: StorageHost | undefined;
  // Every worker's fragments are numbered here, so two sessions of one stream on two workers get
  // numbers increasing in arrival order (on PostgreSQL too: per-worker blocks would interleave).
  let numbersIndex: IndexStore;
  if (embedded) {
    const { index, blobs, feed } = await openStorage(options, log, deps);
    await feed.close();
    host = new StorageHost(index, blobs, log, deps.clock ?? systemClock, deps.retention);
    numbersIndex = index;
  } else {
    numbersIndex = await openIndexStore(options.indexUrl);
  }
  const numbers = new FragmentNumberAllocator(numbersIndex);
  const slots = new BoxSlots();
  const closeStorage = () => (host ? host.close() : numbersIndex.close());
  const start: Omit<WorkerStart, 'slot'> = {
    options: {
      ...options,
      sessionSecret,
      port: options.port === 0 ? await freePort(options.host) : options.port,
      // Each worker holds its share of the budget: the box's total stays what was configured.
      ingestMemoryBudgetBytes: Math.floor(options.ingestMemoryBudgetBytes / count),
    },
    mode: embedded ? 'storage-process' : 'node',
    ...(deps.putMediaIdle && { putMediaIdle: deps.putMediaIdle }),
    ...(deps.putMediaThrottleTimeoutMs !== undefined && { putMediaThrottleTimeoutMs: deps.putMediaThrottleTimeoutMs }),
    ...(deps.metricsMaxStreams !== undefined && { metricsMaxStreams: deps.metricsMaxStreams }),
    ...(deps.consoleDir !== undefined && { consoleDir: deps.consoleDir }),
  };
  cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), args: [], serialization: 'advanced' });
  const workers = new Set<RunningWorker>();
  let closing = false;

  const fork = (slot: number): Promise<string> => {
    const worker = cluster.fork();
    const end = workerEnd(worker);
    const running: RunningWorker = { worker, end, rpc: new RpcClient(end) };
    workers.add(running);
    const boxCalls = new Map<string, CallTarget>([
      [TARGET.box, { metrics: () => boxMetrics(workers, deps, log) }],
      [TARGET.ingest, { allocate: () => numbers.allocate() }],
      [TARGET.slots, slots.callsOf(end)],
    ]);
    if (host) host.attach(end, boxCalls);
    else serveCalls(end, boxCalls);
    worker.once('exit', (code, signal) => {
      workers.delete(running);
      host?.detach(end);
      slots.releaseAll(end);
      running.rpc.disconnected();
      if (closing) return;
      log.error({ worker: slot, pid: worker.process.pid, code, signal }, 'worker process died; starting another');
      setTimeout(() => {
        if (!closing) fork(slot).catch((err: unknown) => log.error({ err }, 'worker process did not start'));
      }, RESPAWN_DELAY_MS).unref();
    });
    return new Promise<string>((resolve, reject) => {
      end.onMessage((message) => {
        if (message.kind !== 'note') return;
        if (message.note === NOTE.ready) end.send({ kind: 'note', note: NOTE.start, body: { ...start, slot } satisfies WorkerStart });
        if (message.note === NOTE.listening) resolve(message.body as string);
        if (message.note === NOTE.failed) reject(new ConfigError(message.body as string));
      });
      worker.once('exit', () => reject(new Error(`worker ${worker.id} exited while starting`)));
    });
  };

  const stopWorkers = async () => {
    closing = true;
    await Promise.all([...workers].map(({ worker }) => new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.process.kill('SIGTERM');
    })));
  };

  let url: string;
  try {
    [url] = (await Promise.all(Array.from({ length: count }, (_, slot) => fork(slot)))) as [string];
  } catch (err) {
    await stopWorkers();
    await closeStorage();
    throw err;
  }
  host?.start();
  const relayTimer = deps.relays ? setInterval(() => pushRelayStatus(workers, deps), RELAY_STATUS_EVERY_MS) : undefined;
  relayTimer?.unref();
  log.info({ url, workers: count, index: redactStorageUrl(options.indexUrl), storage: options.storageUrl }, 'openkvs listening');

  const anyWorker = () => {
    const first = workers.values().next().value;
    if (!first) throw new Error('no worker process is running');
    return first;
  };
  let closed: Promise<void> | undefined;
  return {
    url,
    publicUrl: options.publicUrl ?? url,
    log,
    sweepRetention: () => host?.sweeper.sweep() ?? anyWorker().rpc.call<SweepReport>(TARGET.worker, 'sweepRetention', []),
    metricsJson: async () => (await summedMetrics(workers, log)).getMetricsAsJSON(),
    reloadCredentials: () => {
      const reloaded = reloadWorkerCredentials(options, workers, log);
      const removed = keyIds.filter((id) => !reloaded.includes(id));
      keyIds = reloaded;
      // How many sessions each worker ended is in that worker's log line.
      return { removed, revokedSessions: 0 };
    },
    close: () =>
      (closed ??= (async () => {
        clearInterval(relayTimer);
        await stopWorkers();
        await closeStorage();
        log.info('openkvs stopped');
      })()),
  };
}

/**
 * SIGHUP with workers: the file is checked here first (a bad one throws and changes nothing),
 * then every worker reloads its keys and ends the sessions they no longer allow. Returns the key ids now in force.
 */
function reloadWorkerCredentials(options: ServerOptions, workers: ReadonlySet<RunningWorker>, log: Logger): string[] {
  if (options.credentialsFile === undefined) return [];
  const entries = readCredentials(options.credentialsFile);
  for (const { worker, rpc } of workers) {
    rpc.call(TARGET.worker, 'reloadCredentials', []).catch((err: unknown) => log.error({ err, worker: worker.id }, 'worker did not reload credentials'));
  }
  return entries.map((k) => k.accessKeyId);
}

/**
 * Port 0 picked here: workers listening on port 0 share whatever port 0 first got in this
 * process, so two servers with workers in one process (tests) would share one port.
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

function pushRelayStatus(workers: ReadonlySet<RunningWorker>, deps: ServerDeps): void {
  const body: RelayStatusNote = { relays: [...(deps.relays?.() ?? [])] };
  for (const { end } of workers) end.send({ kind: 'note', note: NOTE.relays, body });
}

/**
 * GET /metrics of the whole box, whichever worker answers it: every worker's metrics summed by
 * prom-client's cluster aggregator (counters and gauges add up; each default metric says how it
 * combines), then the relays' state. A worker that does not answer (dying, restarting) is left out.
 */
async function boxMetrics(workers: ReadonlySet<RunningWorker>, deps: ServerDeps, log: Logger): Promise<string> {
  return (await (await summedMetrics(workers, log)).metrics()) + (deps.metrics?.() ?? '');
}

/** Every worker's metrics in one registry. */
async function summedMetrics(workers: ReadonlySet<RunningWorker>, log: Logger): Promise<Registry> {
  const parts = await Promise.all(
    [...workers].map(({ worker, rpc }) =>
      rpc.call<MetricObjectWithValues<MetricValue<string>>[]>(TARGET.worker, 'metrics', []).catch((err: unknown) => {
        log.warn({ err, worker: worker.id }, 'worker metrics not read');
        return undefined;
      }),
    ),
  );
  return AggregatorRegistry.aggregate(parts.filter((p) => p !== undefined));
}
