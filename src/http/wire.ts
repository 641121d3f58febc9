import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidArgumentException, SerializationException } from '../domain/errors.js';
import { isPlainObject } from '../api/shapes/validate.js';

/** restJson1 requests of the control plane are small; anything larger is refused unread. */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

export interface ReadBody {
  readonly bytes: Buffer;
  /** Hex SHA-256 of the body, for SigV4's payload hash. */
  readonly sha256: string;
}

/** Reads a whole (small) request body, hashing as it arrives; refuses bodies over the limit. */
export async function readBody(req: IncomingMessage, limit = MAX_JSON_BODY_BYTES): Promise<ReadBody> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw tooLarge(limit);
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    hash.update(chunk);
    chunks.push(chunk);
  }
  return { bytes: Buffer.concat(chunks, size), sha256: hash.digest('hex') };
}

function tooLarge(limit: number): InvalidArgumentException {
  return new InvalidArgumentException(`The request body is larger than the limit of ${limit} bytes.`);
}

/** The JSON object of a request body; an empty body means "no parameters" (kvs-api.md §1). */
export function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new SerializationException(`The request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isPlainObject(value)) throw new SerializationException('The request body must be a JSON object.');
  return value;
}

export function sendJson(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
