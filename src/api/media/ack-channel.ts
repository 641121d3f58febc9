import type { IncomingMessage, ServerResponse } from 'node:http';
import { serializeAck, type Ack } from '../../domain/acks.js';

/**
 * ffmpeg's HTTP output (`-f matroska -method POST http://…/putMedia`, User-Agent `Lavf/…`) never
 * reads the response while it sends. After its terminating chunk it reads at most 1024 bytes and
 * closes the socket (libavformat/http.c, http_shutdown and http_close; seen with strace on ffmpeg
 * 5.1). With more than that unread — any acks beyond the first few — the kernel turns the close
 * into a reset, which throws away the part of its last Cluster still in its send queue: the
 * stream's final fragment never arrives. Held back until the body has ended, the acks leave only
 * the response headers unread, the close is an orderly FIN, and every byte arrives.
 */
function readsAcksWhileSending(req: IncomingMessage): boolean {
  return !/^Lavf\//.test(req.headers['user-agent'] ?? '');
}

/** Writes acks to the PutMedia response as they happen, or, for producers that read none while sending, once the body is done. */
export class AckChannel {
  private held: string[] | undefined;

  constructor(
    private readonly res: ServerResponse,
    req: IncomingMessage,
  ) {
    if (!readsAcksWhileSending(req)) this.held = [];
  }

  readonly send = (ack: Ack): void => {
    if (this.res.writableEnded) return;
    if (this.held) this.held.push(serializeAck(ack));
    else this.res.write(serializeAck(ack));
  };

  /** The body has been read (or given up on): every ack from now on goes out at once. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (held && held.length > 0 && !this.res.writableEnded) this.res.write(held.join(''));
  }
}
