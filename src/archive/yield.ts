/**
 * Lets the event loop run (I/O callbacks, timers) before going on. The SQLite index answers
 * synchronously, so a loop of awaits over it runs as one chain of microtasks: without this a
 * sweep over a thousand streams would hold every PutMedia and read for its whole duration.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
