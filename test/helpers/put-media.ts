import { request } from 'node:http';
import { openBlobStore, openIndexStore } from '../../src/storage/open.js';
import path from 'node:path';
import type { FragmentRecord } from '../../src/domain/fragment.js';

/** An ack exactly as it came over the wire (one JSON line). */
export interface WireAck {
  EventType: string;
  FragmentTimecode?: number;
  FragmentNumber?: string;
  ErrorId?: number;
  ErrorCode?: string;
}

export interface PutMediaResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  acks: WireAck[];
  /** Raw response text (for error bodies and line-format checks). */
  text: string;
}

export interface RawPutOptions {
  headers?: Record<string, string>;
  /** Called for each ack as it arrives; return true to stop sending the body and end it. */
  onAck?: (ack: WireAck) => void;
}

/**
 * PutMedia over a bare node:http request (chunked, full duplex), so tests see the wire exactly:
 * status, headers and every ack line.
 */
export function rawPutMedia(url: string, body: AsyncIterable<Uint8Array> | Uint8Array, options: RawPutOptions = {}): Promise<PutMediaResult> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/putMedia`, {
      method: 'POST',
      headers: { 'x-amzn-fragment-timecode-type': 'ABSOLUTE', 'x-amzn-producer-start-timestamp': '1700000000.000', ...options.headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      let pending = '';
      const acks: WireAck[] = [];
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        if (res.statusCode !== 200) return;
        const lines = (pending + d).split('\n');
        pending = lines.pop()!;
        for (const line of lines) {
          const ack = JSON.parse(line) as WireAck;
          acks.push(ack);
          options.onAck?.(ack);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, acks, text }));
      res.on('error', reject);
    });
    void writeBody(req, body).catch(() => {});
  });
}

async function writeBody(req: ReturnType<typeof request>, body: AsyncIterable<Uint8Array> | Uint8Array): Promise<void> {
  if (body instanceof Uint8Array) {
    req.end(body);
    return;
  }
  for await (const chunk of body) {
    if (req.destroyed) return;
    if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
  }
  req.end();
}

/** `bytes` in chunks of `size` (1 = one byte per write). */
export async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

export interface StoredFragment extends FragmentRecord {
  bytes: Buffer;
}

/** Reads a stream's fragments straight from a server's data dir (index + fragment files). */
export async function storedFragments(dataDir: string, streamName: string): Promise<StoredFragment[]> {
  const index = await openIndexStore(`sqlite://${path.join(dataDir, 'index.sqlite')}`);
  const blobs = await openBlobStore(`file://${path.join(dataDir, 'fragments')}`);
  try {
    const stream = await index.getStreamByName(streamName);
    if (!stream) return [];
    const fragments = await index.listFragments(stream.streamId, { limit: 100_000 });
    return await Promise.all(
      fragments.map(async (f) => {
        const parts: Uint8Array[] = [];
        for await (const part of await blobs.get(f.location.key, { start: f.location.offset, end: f.location.offset + f.size })) parts.push(part);
        return { ...f, bytes: Buffer.concat(parts) };
      }),
    );
  } finally {
    await Promise.all([index.close(), blobs.close()]);
  }
}
