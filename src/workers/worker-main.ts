/**
 * A worker process of `serve --workers N` (forked by primary.ts through node:cluster): HTTP, every
 * API operation and PutMedia, appending fragments to its own segment series, on the port the
 * primary shares out.
 */
import type { RelayView } from '../api/openkvs/list-relays.js';
import { startServer, type OpenKvsServer } from '../server.js';
import { openWorkerBlobs } from '../storage/open.js';
import { createLogger } from '../util/logger.js';
import { NOTE, primaryEnd, type RelayStatusNote, type WorkerStart } from './processes.js';
import { remoteSlots } from './box-slots.js';
import { remoteStorage } from './remote-storage.js';
import { RpcClient, serveCalls } from './rpc.js';
import { TARGET } from './storage-calls.js';

const end = primaryEnd();
const rpc = new RpcClient(end);
let relayStatus: RelayStatusNote = { relays: [] };
let server: OpenKvsServer | undefined;

end.onMessage((message) => {
  if (message.kind !== 'note') return;
  if (message.note === NOTE.start) void start(message.body as WorkerStart);
  else if (message.note === NOTE.relays) relayStatus = message.body as RelayStatusNote;
});
end.send({ kind: 'note', note: NOTE.ready });

// The primary is gone (it crashed or was killed): so is the storage, and so is this worker. Its
// connections close as in a crash of a single process; what was acknowledged is durable.
process.on('disconnect', () => {
  rpc.disconnected();
  process.exit(1);
});
// The primary stops a worker with SIGTERM and forwards SIGHUP's reload; a terminal's SIGINT and
// SIGHUP reach the whole process group and are the primary's to act on. SIGTERM may come twice
// (systemd signals the whole group, then the primary signals its workers): the second must not
// cut the first one's drain short.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => void stop());

async function start(init: WorkerStart): Promise<void> {
  const log = createLogger(init.options.logLevel).child({ worker: init.slot });
  try {
    server = await startServer(init.options, {
      logger: log,
      ...(init.mode === 'storage-process' && { storage: remoteStorage(rpc, end, openWorkerBlobs(init.options.storageUrl), init.slot) }),
      ...(init.putMediaIdle && { putMediaIdle: init.putMediaIdle }),
      ...(init.putMediaThrottleTimeoutMs !== undefined && { putMediaThrottleTimeoutMs: init.putMediaThrottleTimeoutMs }),
      ...(init.metricsMaxStreams !== undefined && { metricsMaxStreams: init.metricsMaxStreams }),
      ...(init.consoleDir !== undefined && { consoleDir: init.consoleDir }),
      metricsText: () => rpc.call<string>(TARGET.box, 'metrics', []),
      fragmentNumbers: { allocate: () => rpc.call<string>(TARGET.ingest, 'allocate', []) },
      getMediaSlots: remoteSlots(rpc),
      relays: () => relayStatus.relays as RelayView[],
    });
    const running = server;
    serveCalls(
      end,
      new Map([
        [
          TARGET.worker,
          {
            reloadCredentials: () => running.reloadCredentials(),
            sweepRetention: () => running.sweepRetention(),
            metrics: () => running.metricsJson(),
          },
        ],
      ]),
    );
    end.send({ kind: 'note', note: NOTE.listening, body: server.url });
  } catch (err) {
    end.send({ kind: 'note', note: NOTE.failed, body: (err as Error).message });
    process.exit(1);
  }
}

/** Ends this worker's connections as a single server's close does (its fragments handed over are committed first), then leaves. */
let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  return (stopping ??= (async () => {
    await server?.close();
    process.exit(0);
  })());
}
