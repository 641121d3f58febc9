import { randomInt } from 'node:crypto';

/**
 * Object keys for appends. An object store cannot append to an object, so every append is an
 * object of its own (the BlobStore port allows it: an append into a new object starts at 0).
 * Its key keeps the port's segment naming, `<series>/<digits>.seg`, so put refuses such keys and
 * trimAppended recognises them.
 *
 * Several nodes may append to one series at once (two PutMedia sessions of one stream on two
 * nodes) and a restarted node must not overwrite what it wrote before, so the digits are
 *   13: milliseconds since the epoch (monotonic within the process), so keys sort by time;
 *    9: a random number drawn once per process, so two nodes never produce the same key;
 *    6: a per-process counter, so one process never repeats a key within a millisecond.
 */
const SEGMENT_FILE = /^\d+\.seg$/;

export function isAppendedKey(key: string): boolean {
  return SEGMENT_FILE.test(key.slice(key.lastIndexOf('/') + 1));
}

export class AppendKeys {
  private readonly instance = String(randomInt(1_000_000_000)).padStart(9, '0');
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  next(series: string): string {
    this.lastMs = Math.max(this.lastMs, this.now());
    this.counter = (this.counter + 1) % 1_000_000;
    const ms = String(this.lastMs).padStart(13, '0');
    return `${series}/${ms}${this.instance}${String(this.counter).padStart(6, '0')}.seg`;
  }
}
