import { readFileSync } from 'node:fs';

/** This package's version, read once from its package.json (three levels up from dist/src/client/). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export const CLIENT_VERSION = packageVersion();
/** Sent as user-agent, so server logs tell this client apart from Amazon's producers. */
export const USER_AGENT = `openkvs-client/${CLIENT_VERSION}`;
