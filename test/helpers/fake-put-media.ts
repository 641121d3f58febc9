/**
 * A throwaway PutMedia endpoint for client tests: a node:http server on 127.0.0.1 whose behaviour
 * each test supplies. It is not openkvs's server; it only plays the wire protocol of
 * kvs-api.md §3.2 so the client can be checked against it.
 */
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { outlineMkv } from './mkv-outline.js';

export interface FakeServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startFakeServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeServer> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** One ack as KVS writes it: a JSON object and a newline. */
export function ackLine(fields: Record<string, unknown>): string {
  return `${JSON.stringify(fields)}\n`;
}

export async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** 47-digit decimal, like KVS fragment numbers. */
export function fragmentNumber(index: number): string {
  return `9134385233318148191523539420314955431934884${String(index).padStart(4, '0')}`;
}

export interface AcksPerClusterOptions {
  /** Which acks to send for the Cluster at `index` (default BUFFERING, RECEIVED, PERSISTED). */
  acksFor?: (index: number) => string[];
  /** Sees the request and its whole body before the acks go out. */
  onRequest?: (req: IncomingMessage, body: Buffer) => void;
}

/**
 * A well-behaved stream: once the body has arrived, the acks for every Cluster in it, echoing
 * the Cluster timecodes; then the response ends.
 */
export function acksPerCluster(options: AcksPerClusterOptions = {}) {
  const acksFor = options.acksFor ?? (() => ['BUFFERING', 'RECEIVED', 'PERSISTED']);
  return (req: IncomingMessage, res: ServerResponse) => {
    void readAll(req).then((body) => {
      options.onRequest?.(req, body);
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-RequestId': 'req-1' });
      outlineMkv(body).clusters.forEach((cluster, index) => {
        for (const type of acksFor(index)) {
          res.write(ackLine({ EventType: type, FragmentTimecode: cluster.timecode, FragmentNumber: fragmentNumber(index) }));
        }
      });
      res.end();
    });
  };
}
