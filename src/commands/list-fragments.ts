/**
 * `openkvs list-fragments`: a stream's fragments through ListFragments (every page), as a table or
 * as JSON lines. Exit codes: 0 listed, 1 the service refused (its AWS error name is printed),
 * 2 usage errors. Works against Amazon KVS too (pass the LIST_FRAGMENTS data endpoint).
 */
import { Command, Option } from 'commander';
import { endpointFrom, UsageError } from './put-media.js';
import { signedPost } from './signed-post.js';

interface ListFragmentsFlags {
  stream?: string;
  streamArn?: string;
  start?: string;
  end?: string;
  by?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
}

/** Validated command-line input. */
export interface ListFragmentsCommand {
  readonly stream: { StreamName: string } | { StreamARN: string };
  /** The wire FragmentSelector, or undefined for every fragment. */
  readonly selector: { FragmentSelectorType: string; TimestampRange: { StartTimestamp: number; EndTimestamp: number } } | undefined;
  readonly endpoint: string;
  readonly region: string | undefined;
  readonly json: boolean;
}

/** The Fragment wire shape (timestamps in epoch seconds). */
interface WireFragment {
  FragmentNumber: string;
  FragmentSizeInBytes: number;
  ProducerTimestamp: number;
  ServerTimestamp: number;
  FragmentLengthInMilliseconds: number;
}

export function addListFragmentsCommand(program: Command): void {
  program
    .command('list-fragments')
    .description("list a stream's fragments (ListFragments, every page), optionally in a time range")
    .option('--stream <name>', 'stream name')
    .option('--stream-arn <arn>', 'stream ARN (instead of --stream)')
    .option('--start <time>', 'range start, inclusive: ISO-8601 or epoch seconds (default: the epoch)')
    .option('--end <time>', 'range end, inclusive: ISO-8601 or epoch seconds (default: now)')
    .addOption(new Option('--by <timestamp>', 'which fragment start time the range applies to').choices(['server', 'producer']).default('server'))
    .option('--endpoint <url>', 'data endpoint (env OPENKVS_ENDPOINT, AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL)')
    .option('--region <region>', 'SigV4 region (default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host, us-east-1)')
    .option('--json', 'one JSON object per fragment per line, as the API returns it')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: ListFragmentsFlags, command: Command) => {
      let input: ListFragmentsCommand;
      try {
        input = parseListFragmentsCommand(flags, process.env, Date.now());
      } catch (err) {
        if (err instanceof UsageError) command.error(`openkvs list-fragments: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      process.exitCode = await runListFragments(input);
    });
}

export function parseListFragmentsCommand(flags: ListFragmentsFlags, env: NodeJS.ProcessEnv, nowMs: number): ListFragmentsCommand {
  if ((flags.stream === undefined) === (flags.streamArn === undefined)) throw new UsageError('give exactly one of --stream and --stream-arn');
  const ranged = flags.start !== undefined || flags.end !== undefined;
  const startMs = flags.start === undefined ? 0 : parseTime(flags.start, '--start');
  const endMs = flags.end === undefined ? nowMs : parseTime(flags.end, '--end');
  if (startMs > endMs) throw new UsageError('--start is after --end');
  return {
    stream: flags.stream !== undefined ? { StreamName: flags.stream } : { StreamARN: flags.streamArn ?? '' },
    selector: ranged
      ? {
          FragmentSelectorType: flags.by === 'producer' ? 'PRODUCER_TIMESTAMP' : 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: startMs / 1000, EndTimestamp: endMs / 1000 },
        }
      : undefined,
    endpoint: endpointFrom(flags.endpoint, env),
    region: flags.region,
    json: flags.json === true,
  };
}

/** "2026-11-21T10:00:00Z" or "1795298971.431" → epoch ms. */
function parseTime(value: string, flag: string): number {
  const ms = /^\d+(\.\d+)?$/.test(value) ? Math.round(Number(value) * 1000) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new UsageError(`${flag} must be ISO-8601 or epoch seconds, got ${value}`);
  return ms;
}

/** Lists every page and prints as it goes; returns the exit code. */
export async function runListFragments(input: ListFragmentsCommand): Promise<number> {
  try {
    let nextToken: string | undefined;
    do {
      const page = await call(input, { ...input.stream, FragmentSelector: input.selector, NextToken: nextToken });
      if (!input.json && nextToken === undefined) process.stdout.write('FragmentNumber\tProducerTimestamp\tServerTimestamp\tLengthMs\tSizeBytes\n');
      for (const fragment of page.Fragments ?? []) process.stdout.write(`${input.json ? JSON.stringify(fragment) : row(fragment)}\n`);
      nextToken = page.NextToken ?? undefined;
    } while (nextToken);
    return 0;
  } catch (err) {
    process.stderr.write(`list-fragments: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function row(f: WireFragment): string {
  const iso = (seconds: number) => new Date(Math.round(seconds * 1000)).toISOString();
  return [f.FragmentNumber, iso(f.ProducerTimestamp), iso(f.ServerTimestamp), f.FragmentLengthInMilliseconds, f.FragmentSizeInBytes].join('\t');
}

/** One signed POST /listFragments (restJson1); a non-200 answer becomes the AWS error it names. */
async function call(input: ListFragmentsCommand, body: object): Promise<{ Fragments?: WireFragment[]; NextToken?: string | null }> {
  const res = await signedPost(input.endpoint, 'listFragments', body, input.region);
  return (await res.json()) as { Fragments?: WireFragment[]; NextToken?: string | null };
}
