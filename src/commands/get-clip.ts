/**
 * `openkvs get-clip`: an MP4 of a stream's time range through GetClip, the way AWS clients ask for
 * one: GetDataEndpoint (APIName GET_CLIP) on the endpoint given, then GetClip on the data
 * endpoint it returns, SigV4-signed when credentials are found (the AWS default chain), the body
 * streamed to a file or stdout. Exit codes: 0 written, 1 the service refused or the transfer
 * broke, 2 usage errors.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { Command, Option } from 'commander';
import { endpointFrom, UsageError } from './put-media.js';
import { signedPost } from './signed-post.js';

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
    .option('--endpoint <url>', 'KVS endpoint (env OPENKVS_ENDPOINT, AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL; default http://127.0.0.1:4570)')
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
    endpoint: endpointFrom(flags.endpoint, env),
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
    const res = await signedPost(
      dataEndpoint,
      'getClip',
      {
        ...input.stream,
        ClipFragmentSelector: { FragmentSelectorType: input.selector, TimestampRange: { StartTimestamp: input.startSeconds, EndTimestamp: input.endSeconds } },
      },
      input.region,
    );
    if (!res.body) throw new Error('GetClip answered without a body');
    const toStdout = input.output === '-';
    try {
      await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), toStdout ? process.stdout : createWriteStream(input.output), { end: !toStdout });
    } catch (err) {
      if (!toStdout) rmSync(input.output, { force: true });
      throw err;
    }
    process.stderr.write(`get-clip: ${res.headers.get('content-length') ?? '?'} bytes of ${res.headers.get('content-type') ?? 'media'} written to ${toStdout ? 'stdout' : input.output}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`get-clip: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function getDataEndpoint(input: GetClipCommandInput): Promise<string> {
  const res = await signedPost(input.endpoint, 'getDataEndpoint', { ...input.stream, APIName: 'GET_CLIP' }, input.region);
  const body = (await res.json()) as { DataEndpoint?: string };
  if (!body.DataEndpoint) throw new Error('GetDataEndpoint returned no DataEndpoint');
  return body.DataEndpoint;
}
