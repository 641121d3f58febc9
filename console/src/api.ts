/**
 * The console is a KVS client like any other: every call goes through the AWS SDK for JavaScript
 * v3 browser clients to the same public API the CLI uses (no private endpoint). The control plane
 * is this page's origin; the archived-media calls go where GetDataEndpoint says, as AWS requires.
 */
import { GetDataEndpointCommand, KinesisVideoClient, ListStreamsCommand, type APIName } from '@aws-sdk/client-kinesis-video';
import { KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
// The signer the SDK clients themselves use (already in the bundle through them).
import { SignatureV4 } from '@smithy/signature-v4';

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface Session {
  readonly credentials: Credentials;
  readonly region: string;
  /** True when the server answered unsigned-looking keys: open mode, nobody signed in. */
  readonly open: boolean;
}

const STORAGE_KEY = 'openkvs.session';
/** Open mode accepts any key; the SDK still signs, so it needs some. */
const OPEN_CREDENTIALS: Credentials = { accessKeyId: 'openkvs-console', secretAccessKey: 'open-mode-needs-no-secret' };
export const DEFAULT_REGION = 'us-east-1';

/** Keys live in sessionStorage only: gone when the tab closes, never in localStorage or a cookie. */
export function storedSession(): Session | undefined {
  try {
    const text = sessionStorage.getItem(STORAGE_KEY);
    if (!text) return undefined;
    const parsed = JSON.parse(text) as Session;
    return parsed.credentials?.accessKeyId ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export function storeSession(session: Session | undefined): void {
  if (session && !session.open) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

export class Kvs {
  readonly control: KinesisVideoClient;
  private readonly endpoints = new Map<string, Promise<KinesisVideoArchivedMediaClient>>();

  constructor(
    readonly session: Session,
    readonly endpoint: string = location.origin,
  ) {
    this.control = new KinesisVideoClient({ endpoint, region: session.region, credentials: session.credentials, maxAttempts: 2 });
  }

  /** The archived-media client for a stream's API, at the endpoint GetDataEndpoint returns (cached). */
  archived(streamName: string, api: APIName): Promise<KinesisVideoArchivedMediaClient> {
    const key = `${streamName}\u0000${api}`;
    let client = this.endpoints.get(key);
    if (!client) {
      client = this.control.send(new GetDataEndpointCommand({ StreamName: streamName, APIName: api })).then(
        ({ DataEndpoint }) =>
          new KinesisVideoArchivedMediaClient({
            endpoint: DataEndpoint ?? this.endpoint,
            region: this.session.region,
            credentials: this.session.credentials,
            maxAttempts: 2,
          }),
      );
      client.catch(() => this.endpoints.delete(key));
      this.endpoints.set(key, client);
    }
    return client;
  }
}

export type SignInOutcome = { ok: true; kvs: Kvs } | { ok: false; message: string };

/** Open mode answers a call signed with any key; secured mode refuses it with 403. */
export async function probeOpenMode(): Promise<SignInOutcome> {
  return trySession({ credentials: OPEN_CREDENTIALS, region: DEFAULT_REGION, open: true });
}

/** Signs one ListStreams with the keys: the server's answer says plainly whether they work. */
export async function trySession(session: Session): Promise<SignInOutcome> {
  const kvs = new Kvs(session);
  try {
    await kvs.control.send(new ListStreamsCommand({ MaxResults: 1 }));
    return { ok: true, kvs };
  } catch (err) {
    return { ok: false, message: signInMessage(err) };
  }
}

function signInMessage(err: unknown): string {
  const name = errorName(err);
  switch (name) {
    case 'UnrecognizedClientException':
      return 'The server does not know this access key ID. Check it for typos, or ask for a key from its credentials file.';
    case 'InvalidSignatureException':
      return 'The secret access key is wrong for this access key ID (the request signature did not match).';
    case 'IncompleteSignatureException':
    case 'MissingAuthenticationTokenException':
      return `The server refused the request signature: ${errorText(err)}`;
    default:
      return errorText(err);
  }
}

export function errorName(err: unknown): string {
  return err && typeof err === 'object' && 'name' in err ? String((err as { name: unknown }).name) : 'Error';
}

/** The API's own error, as the SDK reports it: "ResourceInUseException: The stream … exists". */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (err.name === 'TypeError' && /fetch/i.test(err.message)) return `Cannot reach the server (${err.message}).`;
    return `${err.name}: ${err.message}${status ? ` (HTTP ${status})` : ''}`;
  }
  return String(err);
}

/** One relay of `openkvs serve --relays`, as POST /openkvs/listRelays returns it. */
export interface RelayInfo {
  readonly Name: string;
  readonly StreamName: string;
  readonly Source: string;
  readonly State: string;
  readonly FramesPerSecond: number;
  readonly BitrateKbps: number;
  readonly FragmentsPersisted: number;
  readonly FragmentsBuffered: number;
  readonly FragmentsDropped: number;
  readonly SourceRestarts: number;
  readonly Sessions: number;
  readonly LastError?: string;
  readonly LastFragmentTimestamp?: string;
  /** The last PERSISTED fragment: ms from its last byte sent to the ack. */
  readonly PersistLatencyMillis?: number;
}

/**
 * openkvs's ListRelays (the cameras `serve --relays` runs), signed with the SDK's own SigV4
 * signer and hash as the SDK signs the KVS calls: same public API, same keys, no other path in.
 */
export async function listRelays(kvs: Kvs, streamName?: string): Promise<RelayInfo[]> {
  const url = new URL('/openkvs/listRelays', kvs.endpoint);
  const body = JSON.stringify(streamName ? { StreamName: streamName } : {});
  const signer = new SignatureV4({ credentials: kvs.session.credentials, region: kvs.session.region, service: 'kinesisvideo', sha256: kvs.control.config.sha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port && { port: Number(url.port) }),
    path: url.pathname,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  // The browser sets Host itself (the same value that was signed) and refuses to be given one.
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'));
  const res = await fetch(url, { method: 'POST', headers, body });
  const json = (await res.json().catch(() => ({}))) as { Relays?: RelayInfo[]; message?: string; Message?: string };
  if (!res.ok) throw new Error(json.message ?? json.Message ?? `ListRelays: HTTP ${res.status}`);
  return json.Relays ?? [];
}
