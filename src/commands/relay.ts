/**
 * `openkvs relay SOURCE --stream NAME`: a camera (RTSP, RTMP, SRT, HTTP, a file or stdin, through
 * ffmpeg) into a stream through PutMedia, kept alive (src/relay/). Exit codes: 0 after a clean
 * stop (SIGTERM/SIGINT, or the end of a file), 1 on a fatal error while running (403, unknown
 * stream, a source that cannot work), 2 on a usage error (bad flags, bad URL, no such file),
 * 3 when ffmpeg is not on PATH.
 */
import { Command } from 'commander';
import type { KvsTag } from '../formats/matroska/kvs-document.js';
import { SourceError, checkFfmpeg, sourceKind } from '../relay/ffmpeg-source.js';
import { loadRelaysConfig, RelayConfigError } from '../relay/config.js';
import { Relay, type RelayOptions } from '../relay/relay.js';
import { StatusWriter } from '../relay/status.js';
import { endpointFrom, UsageError } from './put-media.js';

interface RelayFlags {
  config?: string;
  stream?: string;
  endpoint?: string;
  region?: string;
  create?: boolean;
  rtspTransport?: string;
  stall: string;
  buffer: string;
  sessionMax?: string;
  tag: string[];
  json?: boolean;
  loop?: boolean;
  realtime?: boolean;
  ffmpeg?: string;
}

export function addRelayCommand(program: Command): void {
  program
    .command('relay')
    .description('relay a camera or file (RTSP, RTMP, SRT, HTTP, file, - for stdin; through ffmpeg) into a stream, reconnecting for as long as it runs')
    .argument('[source]', 'rtsp://, rtsps://, rtmp://, srt://, http(s):// URL, a file, or - for stdin')
    .option('--stream <name>', 'stream name')
    .option('--config <file>', 'relays.yaml: many relays in this process (stream, source, options per entry)')
    .option('--endpoint <url>', 'data endpoint (as put-media; default http://127.0.0.1:4570)')
    .option('--region <region>', 'SigV4 region')
    .option('--create', 'create the stream (24 h retention) if it does not exist')
    .option('--rtsp-transport <tcp|udp>', 'RTSP transport (default tcp)')
    .option('--stall <duration>', 'restart the source after this long without a frame', '10s')
    .option('--buffer <duration>', 'media kept while the endpoint is unreachable', '30s')
    .option('--session-max <duration>', 'start a new PutMedia session after this long (AWS ends them at 45 min)', '40m')
    .option('--tag <name=value>', 'metadata tag on every fragment (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
    .option('--json', 'status as JSON lines on stdout')
    .option('--loop', 'play a file source in a loop')
    .option('--realtime', 'read the source at its frame rate (default for files)')
    .option('--ffmpeg <path>', 'ffmpeg binary', 'ffmpeg')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (source: string | undefined, flags: RelayFlags, command: Command) => {
      let options: RelayOptions[];
      try {
        if ((source === undefined) === (flags.config === undefined)) throw new UsageError('give a SOURCE or --config FILE');
        options =
          flags.config !== undefined
            ? loadRelaysConfig(flags.config, { endpoint: endpointFrom(flags.endpoint, process.env), parseDuration })
            : [relayOptions(source!, flags, process.env)];
        for (const o of options) sourceKind(o.source);
      } catch (err) {
        if (err instanceof UsageError || err instanceof RelayConfigError || (err instanceof SourceError && err.fatal)) command.error(`openkvs relay: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      try {
        checkFfmpeg(flags.ffmpeg);
      } catch (err) {
        process.stderr.write(`openkvs relay: ${(err as Error).message}\n`);
        process.exit(3);
      }
      process.exitCode = await runRelays(options, { json: flags.json === true, create: flags.create === true });
    });
}

export function relayOptions(source: string, flags: RelayFlags, env: NodeJS.ProcessEnv): RelayOptions {
  if (!flags.stream) throw new UsageError('--stream is required');
  sourceKind(source);
  if (flags.rtspTransport !== undefined && flags.rtspTransport !== 'tcp' && flags.rtspTransport !== 'udp') throw new UsageError('--rtsp-transport must be tcp or udp');
  return {
    source,
    stream: flags.stream,
    endpoint: endpointFrom(flags.endpoint, env),
    ...(flags.region !== undefined && { region: flags.region }),
    ...(flags.rtspTransport !== undefined && { rtspTransport: flags.rtspTransport as 'tcp' | 'udp' }),
    stallMs: parseDuration(flags.stall, '--stall'),
    bufferMs: parseDuration(flags.buffer, '--buffer'),
    ...(flags.sessionMax !== undefined && { maxSessionMs: Math.min(parseDuration(flags.sessionMax, '--session-max'), 45 * 60_000) }),
    tags: flags.tag.map(parseTag),
    ...(flags.loop && { loop: true }),
    ...(flags.realtime && { realtime: true }),
    ...(flags.ffmpeg !== undefined && { ffmpeg: flags.ffmpeg }),
  };
}

/** "10s", "500ms", "2m", "1h", or plain seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${flag} must be a duration like 10s, 500ms or 2m, got ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Math.round(Number(m[1]) * unit);
}

function parseTag(text: string): KvsTag {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--tag must be name=value, got ${text}`);
  const name = text.slice(0, eq);
  const value = text.slice(eq + 1);
  // KVS's limits (ack 4009): names ≤ 128 bytes, values ≤ 256, no AWS prefix for user tags.
  if (name.length > 128 || value.length > 256 || name.startsWith('AWS')) throw new UsageError(`--tag ${name}: names up to 128 characters not starting with AWS, values up to 256`);
  return { name, value };
}

/** Runs the relays until SIGTERM/SIGINT or a fatal error; returns the exit code. */
export async function runRelays(all: RelayOptions[], opts: { json: boolean; create: boolean }): Promise<number> {
  const out = opts.json ? process.stdout : process.stderr;
  const writer = new StatusWriter(out, opts.json);
  const relays: Relay[] = [];
  const changed = () => writer.update(relays.map((r) => r.status()));
  // JSON and log lines are per relay: a change looks at that relay alone (with 50 relays, every
  // change redoing all 50 statuses is 2,500 status objects a second). The TTY view
  // redraws them all on the ticker.
  const relayChanged = (relay: Relay) => {
    if (!writer.redrawsAll) writer.update([relay.status()]);
  };
  for (const o of all) relays.push(new Relay(opts.create ? { ...o, create: true } : o, relayChanged));
  const ticker = setInterval(changed, writer.redrawsAll ? 500 : 1000);
  const stop = () => {
    for (const r of relays) void r.stop();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  // With several relays, one failing does not stop the others; the exit code reports it.
  const results = await Promise.allSettled(relays.map((r) => r.run()));
  clearInterval(ticker);
  changed();
  writer.end();
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const f of failed) process.stderr.write(`openkvs relay: ${(f.reason as Error).message}\n`);
  return failed.length > 0 ? 1 : 0;
}
