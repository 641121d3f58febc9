import { createServer } from 'node:net';

/**
 * What the PostgreSQL and Ceph fixtures share: free loopback ports and the CI rule for missing
 * services.
 */

/** A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if someone takes it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A skip reason when `present` is false, or false when the service can run. In CI (CI=true)
 * .ci/run installs every service, so a missing one throws: the run must fail, not skip.
 */
export function serviceUnavailable(present: boolean, what: string): string | false {
  if (present) return false;
  if (process.env['CI'] === 'true') throw new Error(`${what} is required in CI (CI=true) but is not installed`);
  return `needs ${what}`;
}
