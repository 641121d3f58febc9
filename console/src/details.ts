/**
 * What the console shows about a stream that no single KVS call answers: the newest fragment (from
 * ListFragments over the last minute, then the last hour), whether a producer is connected now
 * (derived: KVS has no API for it), and a recent thumbnail (GetImages).
 */
import { GetImagesCommand, type Fragment } from '@aws-sdk/client-kinesis-video-archived-media';
import type { Kvs } from './api';
import { fragmentPages, type Newest } from './fragments';

/** At most this many detail requests at once, whatever the number of rows in view. */
const MAX_CONCURRENT = 4;
let running = 0;
const waiting: (() => void)[] = [];

export async function limited<T>(task: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await task();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/**
 * The newest fragment by server timestamp within the last `windows` (ms back from now), tried
 * shortest first; undefined when none is that recent.
 */
export async function newestFragment(kvs: Kvs, stream: string, windows: readonly number[] = [60_000, 3_600_000]): Promise<Newest | undefined> {
  const client = await kvs.archived(stream, 'LIST_FRAGMENTS');
  let end = Date.now() + 5_000;
  for (const back of windows) {
    const start = Date.now() - back;
    let best: Fragment | undefined;
    let pages = 0;
    for await (const fragments of fragmentPages(client, stream, 'SERVER_TIMESTAMP', start, end)) {
      for (const f of fragments) {
        if (!best || (f.ServerTimestamp?.getTime() ?? 0) > (best.ServerTimestamp?.getTime() ?? 0)) best = f;
      }
      if (++pages >= 4) break;
    }
    if (best?.ServerTimestamp && best.ProducerTimestamp) {
      return { serverMs: best.ServerTimestamp.getTime(), producerMs: best.ProducerTimestamp.getTime(), durationMs: best.FragmentLengthInMilliseconds ?? 0 };
    }
    end = start;
  }
  return undefined;
}

/**
 * "Producer connected now", as the console derives it: the newest fragment began arriving within
 * twice its duration (plus a second for the commit), so the next one is on its way.
 */
export function producerConnected(newest: Newest | undefined, now = Date.now()): boolean {
  if (!newest) return false;
  return now - newest.serverMs <= 2 * Math.max(newest.durationMs, 1000) + 1000;
}

/** One JPEG still at `serverMs` (SERVER_TIMESTAMP), as a data: URL; undefined when there is none. */
export async function thumbnail(kvs: Kvs, stream: string, atMs: number, heightPixels: number, selector: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP' = 'SERVER_TIMESTAMP'): Promise<string | undefined> {
  const client = await kvs.archived(stream, 'GET_IMAGES');
  const answer = await client.send(
    new GetImagesCommand({
      StreamName: stream,
      ImageSelectorType: selector,
      StartTimestamp: new Date(atMs),
      EndTimestamp: new Date(atMs + 1),
      SamplingInterval: 3000,
      Format: 'JPEG',
      FormatConfig: { JPEGQuality: '70' },
      HeightPixels: heightPixels,
      MaxResults: 1,
    }),
  );
  const content = answer.Images?.find((i) => i.ImageContent)?.ImageContent;
  return content ? `data:image/jpeg;base64,${content}` : undefined;
}
