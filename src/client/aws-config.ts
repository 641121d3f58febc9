/**
 * Where the client's region and credentials come from when the caller does not say: the same
 * places the AWS SDKs look, so `putMedia` behaves like any AWS client on the machine.
 */
import type { AwsCredentials } from './sigv4-sign.js';

export type CredentialsOption = AwsCredentials | (() => Promise<AwsCredentials>);

/** Option, else AWS_REGION / AWS_DEFAULT_REGION, else the region in a KVS endpoint host, else us-east-1. */
export function resolveRegion(option: string | undefined, endpoint: URL, env: NodeJS.ProcessEnv = process.env): string {
  return option || env['AWS_REGION'] || env['AWS_DEFAULT_REGION'] || regionOfEndpoint(endpoint) || 'us-east-1';
}

/**
 * "s-670061c1.kinesisvideo.ap-southeast-1.amazonaws.com" → "ap-southeast-1" (kvs-api.md §7.2);
 * also the -fips and dual-stack (api.aws) forms.
 */
export function regionOfEndpoint(endpoint: URL): string | undefined {
  return /(?:^|\.)kinesisvideo(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d+)\./.exec(endpoint.hostname)?.[1];
}

/**
 * Explicit credentials or provider first; otherwise the AWS default chain (environment, shared
 * config and credentials files with profiles and SSO, web identity, ECS and EC2 metadata).
 * Resolves undefined when the chain finds nothing, so that an open-mode openkvs on localhost
 * works without any AWS setup; a server that wants signatures then answers 403.
 */
export async function resolveCredentials(option: CredentialsOption | undefined): Promise<AwsCredentials | undefined> {
  if (typeof option === 'function') return option();
  if (option) return option;
  // Loaded only when needed: the chain pulls in a large module tree.
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  try {
    return await defaultProvider()();
  } catch (err) {
    if (isNoCredentialsError(err)) return undefined;
    throw err;
  }
}

/** The chain's "nothing configured anywhere" (CredentialsProviderError with tryNextLink), not a broken profile. */
function isNoCredentialsError(err: unknown): boolean {
  return err instanceof Error && err.name === 'CredentialsProviderError' && /Could not load credentials from any providers/i.test(err.message);
}
