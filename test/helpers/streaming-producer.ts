import { putMedia, type PutMediaSession, type PutMediaSummary } from '../../src/client/put-media.js';
import { storedFragments } from './put-media.js';
import { TEST_CREDENTIALS } from './server.js';
import { cluster, prng, randomBytes, streamHeader } from './synthetic-mkv.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const START_MS = 1_700_000_000_000;

/** A fast camera: a 100-ms fragment of three 4-KB frames every 30 ms, until the server ends the session. */
async function* camera(): AsyncGenerator<Uint8Array> {
  const rng = prng(7);
  yield streamHeader();
  for (let n = 0; ; n++) {
    const frames = [0, 1, 2].map(() => randomBytes(rng, 4000));
    yield cluster({ timecode: START_MS + n * 100, frames, frameMs: 33, knownSize: n % 2 === 0 });
    await sleep(30);
  }
}

/** One PutMedia session through the project's client, streaming until the server ends it, with the acks it got. */
export interface StreamingProducer {
  readonly session: PutMediaSession;
  /** Fragment number → Date.now() when its PERSISTED ack arrived. */
  readonly persisted: Map<string, number>;
  readonly received: Set<string>;
  /** How the session ended: its summary, or the error it failed with. */
  readonly ended: Promise<PutMediaSummary | Error>;
}

export function startStreamingProducer(endpoint: string, streamName: string): StreamingProducer {
  const session = putMedia({ endpoint, streamName, body: camera(), credentials: TEST_CREDENTIALS });
  const persisted = new Map<string, number>();
  const received = new Set<string>();
  const ended = (async () => {
    for await (const ack of session) {
      if (ack.type === 'PERSISTED') persisted.set(ack.fragmentNumber!, Date.now());
      if (ack.type === 'RECEIVED') received.add(ack.fragmentNumber!);
    }
    return session.done;
  })().catch((err: unknown) => err as Error);
  return { session, persisted, received, ended };
}

/** Polls `condition` every 20 ms; throws naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Read from a stopped server's data dir: fragments stored without a PERSISTED ack, and PERSISTED acks for fragments not stored. */
export async function ackMismatch(dataDir: string, streamName: string, persisted: ReadonlyMap<string, number>) {
  const stored = new Set((await storedFragments(dataDir, streamName)).map((f) => f.fragmentNumber));
  return {
    stored: stored.size,
    storedWithoutAck: [...stored].filter((n) => !persisted.has(n)),
    ackedNotStored: [...persisted.keys()].filter((n) => !stored.has(n)),
  };
}
