import * as domainErrors from '../domain/errors.js';
import { ApiError } from '../domain/errors.js';
import { BlobNotFoundError, InvalidBlobKeyError } from '../storage/blob-store.js';

/**
 * Calls between a worker (edge) process and the storage process over node:cluster's IPC channel,
 * opened with `serialization: 'advanced'` (the structured clone algorithm): Maps, BigInts, byte
 * arrays and `undefined` cross as they are, so the storage ports' values need no encoding of
 * their own. Byte arrays are copied into the message, never shared.
 */

/** One end of a message channel (a cluster worker's `process`, or the primary's `worker`). */
export interface MessageEnd {
  send(message: WireMessage): void;
  onMessage(listener: (message: WireMessage) => void): void;
}

/** What a call may answer with when it fails: the name picks the error class rebuilt on the caller's side. */
interface WireError {
  readonly name: string;
  readonly message: string;
  readonly key?: string;
}

export type WireMessage =
  | { readonly kind: 'call'; readonly id: number; readonly target: string; readonly method: string; readonly args: readonly unknown[] }
  | { readonly kind: 'reply'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'fail'; readonly id: number; readonly error: WireError }
  /** Anything else the two sides tell each other (feed events, stop, status). */
  | { readonly kind: 'note'; readonly note: string; readonly body?: unknown };

/** The caller's side: each call is answered once, in any order. */
export class RpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(err: Error): void }>();
  private gone: Error | undefined;

  constructor(private readonly end: MessageEnd) {
    end.onMessage((message) => this.settle(message));
  }

  call<T>(target: string, method: string, args: readonly unknown[]): Promise<T> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.end.send({ kind: 'call', id, target, method, args });
    });
  }

  /** The other side is gone: every call waiting, and every later one, fails. */
  disconnected(): void {
    this.gone = new Error('the process at the other end of the channel is gone');
    for (const { reject } of this.waiting.values()) reject(this.gone);
    this.waiting.clear();
  }

  private settle(message: WireMessage): void {
    if (message.kind !== 'reply' && message.kind !== 'fail') return;
    const waiter = this.waiting.get(message.id);
    if (!waiter) return;
    this.waiting.delete(message.id);
    if (message.kind === 'reply') waiter.resolve(message.value);
    else waiter.reject(rebuildError(message.error));
  }
}

/** What one target answers: exactly these functions, nothing inherited. */
export type CallTarget = Readonly<Record<string, (...args: never[]) => unknown>>;

/** The answering side: `targets` name what callers may reach. */
export function serveCalls(end: MessageEnd, targets: ReadonlyMap<string, CallTarget>): void {
  end.onMessage((message) => {
    if (message.kind !== 'call') return;
    const { id, target, method, args } = message;
    void invoke(targets.get(target), method, args).then(
      (value) => end.send({ kind: 'reply', id, value }),
      (err: unknown) => end.send({ kind: 'fail', id, error: wireError(err) }),
    );
  });
}

async function invoke(target: CallTarget | undefined, method: string, args: readonly unknown[]): Promise<unknown> {
  const fn = target && Object.hasOwn(target, method) ? target[method] : undefined;
  if (!fn) throw new Error(`no such call: ${method}`);
  return (fn as (...a: unknown[]) => unknown)(...args);
}

function wireError(err: unknown): WireError {
  if (err instanceof BlobNotFoundError || err instanceof InvalidBlobKeyError) return { name: err.constructor.name, message: err.message, key: err.key };
  if (err instanceof ApiError) return { name: err.code, message: err.message };
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** The classes callers test with instanceof come back as themselves; the rest as Error with the name kept. */
function rebuildError(error: WireError): Error {
  if (error.name === 'BlobNotFoundError') return new BlobNotFoundError(error.key ?? '');
  if (error.name === 'InvalidBlobKeyError') return new InvalidBlobKeyError(error.key ?? '');
  if (error.name === 'RangeError') return new RangeError(error.message);
  if (error.name === 'TypeError') return new TypeError(error.message);
  const ApiErrorClass = API_ERRORS.get(error.name);
  if (ApiErrorClass) return new ApiErrorClass(error.message);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

/**
 * The AWS errors by name. One a storage call throws in the other process must come back as itself:
 * a backend outage's ServiceUnavailableException is answered 503 (which SDKs retry) and acked
 * 5001 ARCHIVAL_ERROR only when callers recognise it with instanceof.
 */
const API_ERRORS = new Map<string, new (message: string) => ApiError>();
for (const [name, value] of Object.entries(domainErrors) as [string, unknown][]) {
  if (typeof value === 'function' && value.prototype instanceof ApiError) API_ERRORS.set(name, value as new (message: string) => ApiError);
}
