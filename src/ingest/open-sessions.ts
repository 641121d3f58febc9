import { ServiceUnavailableException } from '../domain/errors.js';

/** An open PutMedia session as the registry sees it. */
export interface OpenSession {
  /** The session has ended its response (or given up on it): a stop waiting for it goes on. */
  close(): void;
}

/**
 * The PutMedia sessions running now, so that a server stop ends each at a fragment boundary
 * instead of cutting its connection: a fragment committed after its connection was cut is
 * durable, but its PERSISTED ack never reaches the producer, which sends it again and gets it
 * stored twice.
 */
export class OpenSessions {
  /** Each open session: how to ask it to stop, and when it has closed. */
  private readonly running = new Map<OpenSession, { stop: () => void; closed: Promise<void> }>();
  private stopping = false;

  /**
   * Registers a session; `stop` is called once, when the server stops, and the session then ends
   * as soon as it can and calls `close()`. Once the server is stopping no session opens (503: a
   * producer retries it, on another node or once this one is back).
   */
  open(stop: () => void): OpenSession {
    if (this.stopping) throw new ServiceUnavailableException('The server is shutting down.');
    let closed!: () => void;
    const session: OpenSession = {
      close: () => {
        this.running.delete(session);
        closed();
      },
    };
    this.running.set(session, { stop, closed: new Promise<void>((resolve) => (closed = resolve)) });
    return session;
  }

  /** Refuses new sessions, asks every open one to stop, and resolves once all have closed. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const sessions = [...this.running.values()];
    for (const { stop } of sessions) stop();
    await Promise.all(sessions.map((s) => s.closed));
  }
}
