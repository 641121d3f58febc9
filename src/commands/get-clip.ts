/**
 * `openkvs get-clip`: an MP4 of a stream's time range through GetClip, the way AWS clients ask for
 * one: GetDataEndpoint (APIName GET_CLIP) on the endpoint given, then GetClip on the data
 * endpoint it returns, SigV4-signed when credentials are found (the AWS default chain), the body
 * streamed to a file or stdout. Exit codes: 0 written, 1 the service refused or the transfer
 * broke, 2 usage errors.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Command, Option } from 'commander';
import { resolveCredentials, resolveRegion } from '../client/aws-config.js';
import { signRequest } from '../client/sigv4-sign.js';
import { DEFAULT_ENDPOINT, ENDPOINT_VARIABLES, UsageError, parseEndpoint } from './put-media.js';

interface GetClipFlags {
  stream?: string;
  streamArn?: string;
  start?: string;
  end?: string;
  selector?: string;
  output?: string;
  endpoint?: string;
  region?: string;
}

export interface GetClipCommandInput {
  stream: { StreamName: string } | { StreamARN: string };
  startSeconds: number;
  endSeconds: number;
  selector: 'PRODUCER_TIMESTAMP' | 'SERVER_TIMESTAMP';
  /** A file path, or '-' for stdout. */
  output: string;
  endpoint: string;
  region: string | undefined;
}

export function addGetClipCommand(program: Command): void {
  program
    .command('get-clip')
    .description('download an MP4 of a time range of a stream with GetClip')
    .option('--stream <name>', 'stream name')
    .option('--stream-arn <arn>', 'stream ARN (instead of --stream)')
    .requiredOption('--start <time>', 'start of the range: ISO-8601 or epoch seconds (fragments starting at or after it)')
    .requiredOption('--end <time>', 'end of the range: ISO-8601 or epoch seconds (inclusive, at most 24 h after --start)')
    .addOption(new Option('--selector <type>', 'which fragment timestamp the range applies to').choices(['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP']).default('PRODUCER_TIMESTAMP'))
    .requiredOption('-o, --output <file>', 'where to write the MP4 (- for stdout)')
    .option('--endpoint <url>', `KVS endpoint (env ${ENDPOINT_VARIABLES.join(', ')}; default ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', 'SigV4 region (default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host, us-east-1)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: GetClipFlags, command: Command) => {
      let input: GetClipCommandInput;
      try {
        input = parseGetClipCommand(flags, process.env);
      } catch (err) {
        if (err instanceof UsageError) command.error(`openkvs get-clip: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      process.exitCode = await runGetClip(input);
    });
}

export function parseGetClipCommand(flags: GetClipFlags, env: NodeJS.ProcessEnv): GetClipCommandInput {
  if ((flags.stream === undefined) === (flags.streamArn === undefined)) throw new UsageError('give exactly one of --stream and --stream-arn');
  const startSeconds = parseTime(flags.start, '--start');
  const endSeconds = parseTime(flags.end, '--end');
  if (endSeconds <= startSeconds) throw new UsageError('--end must be later than --start');
  return {
    stream: flags.stream !== undefined ? { StreamName: flags.stream } : { StreamARN: flags.streamArn ?? '' },
    startSeconds,
    endSeconds,
    selector: flags.selector === 'SERVER_TIMESTAMP' ? 'SERVER_TIMESTAMP' : 'PRODUCER_TIMESTAMP',
    output: flags.output ?? '-',
    endpoint: parseEndpoint(flags.endpoint ?? ENDPOINT_VARIABLES.map((name) => env[name]).find(Boolean) ?? DEFAULT_ENDPOINT),
    region: flags.region,
  };
}

/** "2026-11-21T10:00:00Z" or "1700000000.5" → epoch seconds. */
function parseTime(value: string | undefined, flag: string): number {
  if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} must be ISO-8601 or epoch seconds, got ${value}`);
  return ms / 1000;
}

export async function runGetClip(input: GetClipCommandInput): Promise<number> {
  try {
    const dataEndpoint = await getDataEndpoint(input);
    const res = await signedPost(dataEndpoint, '/getClip', input, {
      ...input.stream,
      ClipFragmentSelector: { FragmentSelectorType: input.selector, TimestampRange: { StartTimestamp: input.startSeconds, EndTimestamp: input.endSeconds } },
    });
    if (res.statusCode !== 200) throw await serviceError(res);
    const out = input.output === '-' ? process.stdout : createWriteStream(input.output);
    try {
      await pipeline(res, out, { end: input.output !== '-' });
    } catch (err) {
      if (input.output !== '-') rmSync(input.output, { force: true });
      throw err;
    }
    const where = input.output === '-' ? 'stdout' : input.output;
    process.stderr.write(`get-clip: ${res.headers['content-length'] ?? '?'} bytes of ${res.headers['content-type'] ?? 'media'} written to ${where}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`get-clip: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function getDataEndpoint(input: GetClipCommandInput): Promise<string> {
  const res = await signedPost(input.endpoint, '/getDataEndpoint', input, { ...input.stream, APIName: 'GET_CLIP' });
  if (res.statusCode !== 200) throw await serviceError(res);
  const body = JSON.parse(await text(res)) as { DataEndpoint?: string };
  if (!body.DataEndpoint) throw new Error('GetDataEndpoint returned no DataEndpoint');
  return body.DataEndpoint;
}

/** A JSON POST, signed like the AWS SDKs sign it (payload hash of the body) when credentials are found. */
async function signedPost(endpoint: string, path: string, input: GetClipCommandInput, body: object): Promise<IncomingMessage> {
  const url = new URL(path, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  const payload = JSON.stringify(body);
  let headers: Record<string, string> = { host: url.host, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
  const credentials = await resolveCredentials(undefined);
  if (credentials) {
    const payloadHash = createHash('sha256').update(payload).digest('hex');
    headers = signRequest({ method: 'POST', path: url.pathname, headers }, { credentials, region: resolveRegion(input.region, url), nowMs: Date.now(), payloadHash });
  }
  const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers });
  req.end(payload);
  const [res] = (await Promise.race([once(req, 'response'), once(req, 'error').then(([err]) => Promise.reject(err as Error))])) as [IncomingMessage];
  return res;
}

async function text(res: IncomingMessage): Promise<string> {
  let out = '';
  for await (const chunk of res as AsyncIterable<Buffer>) out += chunk.toString('utf8');
  return out;
}

/** An AWS error answer as "Name (HTTP status): message". */
async function serviceError(res: IncomingMessage): Promise<Error> {
  const header = res.headers['x-amzn-errortype'];
  const body = await text(res);
  let message = body;
  let name = typeof header === 'string' ? header.split(':')[0] : undefined;
  try {
    const parsed = JSON.parse(body) as { __type?: string; message?: string; Message?: string };
    name ??= parsed.__type;
    message = parsed.message ?? parsed.Message ?? body;
  } catch {
    // not JSON: keep the raw text
  }
  return new Error(`${name ?? 'error'} (HTTP ${res.statusCode}): ${message}`);
}
