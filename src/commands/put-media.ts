/**
 * `openkvs put-media`: streams a Matroska file (or stdin) to a stream through PutMedia and reports
 * the acks. Exit codes: 0 when the whole body was sent and every fragment was PERSISTED, 1 when
 * anything went wrong on the way (ERROR ack, HTTP error, fragment not persisted), 2 on usage errors.
 */
import { createReadStream, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { paceByClusterTimecodes } from '../client/pacing.js';
import { putMedia, type PutMediaSummary } from '../client/put-media.js';
import type { AckEvent } from '../client/acks.js';
import { PutMediaHttpError } from '../client/errors.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4570';
/** Tried in order when --endpoint is not given; the AWS ones are what the AWS SDKs and CLI honour. */
const ENDPOINT_VARIABLES = ['OPENKVS_ENDPOINT', 'AWS_ENDPOINT_URL_KINESIS_VIDEO', 'AWS_ENDPOINT_URL'];
/** The C producer writes 16 KB at a time; so does this command. */
const READ_CHUNK_BYTES = 16 * 1024;
const PROGRESS_INTERVAL_MS = 250;

export class UsageError extends Error {}

interface PutMediaFlags {
  stream?: string;
  streamArn?: string;
  endpoint?: string;
  region?: string;
  realtime?: boolean;
  timecodeType?: string;
  producerStartTimestamp?: string;
  json?: boolean;
}

/** Validated command-line input. */
export interface PutMediaCommand {
  file: string;
  stream: { streamName: string } | { streamArn: string };
  endpoint: string;
  region: string | undefined;
  realtime: boolean;
  timecodeType: 'ABSOLUTE' | 'RELATIVE';
  producerStartTimestampMs: number | undefined;
  json: boolean;
}

/** The README's "Sending video" in short: ffmpeg left to its defaults makes fragments KVS does not expect. */
const FFMPEG_HELP = `
Each Matroska Cluster becomes one fragment: send one Cluster per GOP, opening with its key frame.
ffmpeg writing to a pipe starts a Cluster every 32 KB unless told otherwise; with both limits
above any GOP's size and length it starts one only at a key frame:

  ffmpeg -re -f lavfi -i testsrc2=size=640x480:rate=15 -f lavfi -i sine=frequency=440 \\
    -c:v libx264 -preset veryfast -tune zerolatency -bf 0 -g 30 -keyint_min 30 -sc_threshold 0 -pix_fmt yuv420p -c:a aac \\
    -f matroska -cluster_size_limit 50000000 -cluster_time_limit 10000 - | openkvs put-media --stream cam1 --timecode-type RELATIVE -

With audio, encode without B-frames (-bf 0): a fragment whose first frame is earlier than the
previous fragment's last one gets ERROR 4004 (FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS), on KVS as here.`;

export function addPutMediaCommand(program: Command): void {
  program
    .command('put-media')
    .description('stream an MKV file (or - for stdin) to a stream with PutMedia and report the acks')
    .argument('<file>', 'Matroska file, or - to read stdin')
    .option('--stream <name>', 'stream name')
    .option('--stream-arn <arn>', 'stream ARN (instead of --stream)')
    .option('--endpoint <url>', `data endpoint (env ${ENDPOINT_VARIABLES.join(', ')}; default ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', 'SigV4 region (default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host, us-east-1)')
    .option('--realtime', 'pace the upload by the Cluster timecodes, like a live camera')
    .addOption(new Option('--timecode-type <type>', 'how Cluster timecodes are read').choices(['ABSOLUTE', 'RELATIVE']).default('ABSOLUTE'))
    .option('--producer-start-timestamp <seconds>', 'x-amzn-producer-start-timestamp, epoch seconds (default: now)')
    .option('--json', 'print each ack as a JSON line on stdout')
    .addHelpText('after', FFMPEG_HELP)
    // Usage problems exit 2, like `serve`'s configuration errors; commander would use 1.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (file: string, flags: PutMediaFlags, command: Command) => {
      let input: PutMediaCommand;
      try {
        input = parsePutMediaCommand(file, flags, process.env);
      } catch (err) {
        if (err instanceof UsageError) command.error(`openkvs put-media: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      process.exitCode = await runPutMedia(input);
    });
}

export function parsePutMediaCommand(file: string, flags: PutMediaFlags, env: NodeJS.ProcessEnv): PutMediaCommand {
  if ((flags.stream === undefined) === (flags.streamArn === undefined)) throw new UsageError('give exactly one of --stream and --stream-arn');
  if (file !== '-' && !isFile(file)) throw new UsageError(`no such file: ${file}`);
  return {
    file,
    stream: flags.stream !== undefined ? { streamName: flags.stream } : { streamArn: flags.streamArn ?? '' },
    endpoint: endpointFrom(flags.endpoint, env),
    region: flags.region,
    realtime: flags.realtime === true,
    timecodeType: flags.timecodeType === 'RELATIVE' ? 'RELATIVE' : 'ABSOLUTE',
    producerStartTimestampMs: parseStartTimestamp(flags.producerStartTimestamp),
    json: flags.json === true,
  };
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** --endpoint, else the first of ENDPOINT_VARIABLES set, else the default; checked as an http(s) URL. */
export function endpointFrom(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return parseEndpoint(flag ?? ENDPOINT_VARIABLES.map((name) => env[name]).find(Boolean) ?? DEFAULT_ENDPOINT);
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--endpoint is not a URL: ${value}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--endpoint must be http(s): ${value}`);
  return url.href;
}

/** "1597730826.769" (seconds, as the header carries it) → epoch ms. */
function parseStartTimestamp(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d{1,3})?$/.test(value)) throw new UsageError(`--producer-start-timestamp must be epoch seconds like 1700000000.123, got ${value}`);
  return Math.round(Number(value) * 1000);
}

/** Streams the file and returns the exit code. */
export async function runPutMedia(input: PutMediaCommand): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  const source = input.file === '-' ? process.stdin : createReadStream(input.file, { highWaterMark: READ_CHUNK_BYTES });
  const session = putMedia({
    endpoint: input.endpoint,
    ...input.stream,
    body: input.realtime ? paceByClusterTimecodes(source) : source,
    timecodeType: input.timecodeType,
    ...(input.producerStartTimestampMs !== undefined && { producerStartTimestampMs: input.producerStartTimestampMs }),
    ...(input.region !== undefined && { region: input.region }),
    signal: abort.signal,
  });
  const report = new Reporter(input.json, () => session.bytesSent);
  try {
    for await (const ack of session) report.ack(ack);
    const summary = await session.done;
    report.finish(summary);
    return exitCodeFor(summary);
  } catch (err) {
    report.fail(err, abort.signal.aborted);
    return abort.signal.aborted ? 130 : 1;
  } finally {
    process.off('SIGINT', onSigint);
    report.stop();
    // Stdin from a live pipe would otherwise keep the process alive after the server hung up.
    source.destroy();
  }
}

/** 0 only when the whole body went out and every fragment the server named was PERSISTED. */
export function exitCodeFor(summary: PutMediaSummary): number {
  const allPersisted = summary.fragments.seen > 0 && summary.fragments.persisted === summary.fragments.seen;
  return summary.errors.length === 0 && summary.bodyComplete && allPersisted ? 0 : 1;
}

/** What the user sees: JSON lines on stdout, or a progress line and a summary on stderr. */
class Reporter {
  private readonly startedMs = Date.now();
  private persisted = 0;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly live = process.stderr.isTTY === true;

  constructor(
    private readonly json: boolean,
    private readonly bytesSent: () => number,
  ) {
    if (!json && this.live) this.timer = setInterval(() => this.drawProgress(), PROGRESS_INTERVAL_MS).unref();
  }

  ack(ack: AckEvent): void {
    if (ack.type === 'PERSISTED') this.persisted++;
    if (this.json) process.stdout.write(`${JSON.stringify(ack.raw)}\n`);
    if (ack.type === 'ERROR') {
      this.clearProgress();
      const where = ack.fragmentTimecode === undefined ? '' : ` (fragment timecode ${ack.fragmentTimecode})`;
      process.stderr.write(`ERROR ack: ErrorId ${ack.errorId} ErrorCode ${ack.errorCode}${where}\n`);
    }
    this.drawProgress();
  }

  finish(summary: PutMediaSummary): void {
    this.clearProgress();
    const lines = [`put-media: ${this.progressText()}; ${summary.fragments.persisted} of ${summary.fragments.seen} fragments persisted, ${summary.errors.length} ERROR acks`];
    if (!summary.bodyComplete) lines.push('put-media: the server ended the response before the whole body was sent');
    const missing = summary.fragments.seen - summary.fragments.persisted;
    if (missing > 0 && summary.errors.length === 0) lines.push(`put-media: ${missing} fragments were never acked PERSISTED (a stream with 0 h retention never persists)`);
    if (summary.fragments.seen === 0) lines.push('put-media: no fragment was acknowledged');
    if (!summary.signed) lines.push('put-media: note: no AWS credentials found, the request was sent unsigned');
    process.stderr.write(`${lines.join('\n')}\n`);
  }

  fail(err: unknown, aborted: boolean): void {
    this.clearProgress();
    const message = aborted ? 'aborted' : err instanceof PutMediaHttpError ? err.message : err instanceof Error ? err.message : String(err);
    process.stderr.write(`put-media: ${message}\n`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private progressText(): string {
    const seconds = Math.max((Date.now() - this.startedMs) / 1000, 0.001);
    const megabytes = this.bytesSent() / 1e6;
    return `${megabytes.toFixed(2)} MB sent in ${seconds.toFixed(1)} s (${(megabytes / seconds).toFixed(2)} MB/s)`;
  }

  private drawProgress(): void {
    if (this.json || !this.live) return;
    process.stderr.write(`\r\x1b[K${this.persisted} fragments persisted, ${this.progressText()}`);
  }

  private clearProgress(): void {
    if (!this.json && this.live) process.stderr.write('\r\x1b[K');
  }
}
