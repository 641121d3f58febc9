import { Command, Option } from 'commander';
import { ConfigError, DEFAULT_PORT, resolveOptions, type RawOptions } from './config.js';
import { addCredentialsCommand } from './commands/credentials.js';
import { addGetClipCommand } from './commands/get-clip.js';
import { addGetImagesCommand } from './commands/get-images.js';
import { addListFragmentsCommand } from './commands/list-fragments.js';
import { addPutMediaCommand } from './commands/put-media.js';
import { addRelayCommand, parseDuration } from './commands/relay.js';
import { UsageError } from './commands/put-media.js';
import { loadRelaysConfig, RelayConfigError } from './relay/config.js';
import { relayMetrics } from './relay/metrics.js';
import { Relay } from './relay/relay.js';
import { redactedSource } from './relay/ffmpeg-source.js';
import type { RelayView } from './api/openkvs/list-relays.js';
import { exitQuietlyWhenStdoutCloses } from './commands/stdout.js';

const program = new Command('openkvs')
  .description('A self-hosted server that speaks the Amazon Kinesis Video Streams API.')
  .showHelpAfterError();

/** Each flag can also come from the environment variable named beside it. */
const serveOptions: Option[] = [
  new Option('--host <host>', 'address to listen on').env('OPENKVS_HOST').default('127.0.0.1'),
  new Option('--port <port>', 'port to listen on (0 picks a free one)').env('OPENKVS_PORT').default(String(DEFAULT_PORT)),
  new Option('--data-dir <dir>', 'where the embedded index and fragment files live').env('OPENKVS_DATA_DIR').default('./data'),
  new Option('--public-url <url>', 'base URL GetDataEndpoint returns (default: the listen URL)').env('OPENKVS_PUBLIC_URL'),
  new Option('--region <region>', 'region used in ARNs').env('OPENKVS_REGION').default('us-east-1'),
  new Option('--account-id <id>', '12-digit account id used in ARNs').env('OPENKVS_ACCOUNT_ID').default('000000000000'),
  new Option('--credentials <file>', 'AWS credentials file (INI) of accepted keys; requires SigV4 on every request').env(
    'OPENKVS_CREDENTIALS',
  ),
  new Option('--index <url>', 'index store: sqlite://PATH (default: <data-dir>/index.sqlite) or postgres://USER:PASSWORD@HOST:PORT/DB').env(
    'OPENKVS_INDEX',
  ),
  new Option('--storage <url>', 'fragment storage: file://PATH (default: <data-dir>/fragments) or s3://BUCKET/PREFIX').env(
    'OPENKVS_STORAGE',
  ),
  new Option('--s3-endpoint <url>', 'S3-compatible server for s3:// storage (default: AWS S3)').env('OPENKVS_S3_ENDPOINT'),
  new Option('--s3-region <region>', 'S3 signing region (default: AWS_REGION, else us-east-1)').env('OPENKVS_S3_REGION'),
  new Option('--s3-force-path-style [bool]', 'bucket in the URL path, not the host name (default: true with --s3-endpoint)').env(
    'OPENKVS_S3_FORCE_PATH_STYLE',
  ),
  new Option('--s3-checksum <mode>', 'when-supported (SDK default) or when-required (for S3 clones that reject checksummed uploads)')
    .env('OPENKVS_S3_CHECKSUM')
    .choices(['when-supported', 'when-required']),
  new Option('--s3-request-timeout <ms>', 'how long one S3 request waits for an answer before it is retried, then failed (default: 10000)').env(
    'OPENKVS_S3_REQUEST_TIMEOUT',
  ),
  new Option('--session-secret <secret>', 'HLS/DASH session token secret, 64+ hex digits (default: one kept in the data dir; give every node of a cluster the same)').env(
    'OPENKVS_SESSION_SECRET',
  ),
  new Option('--cors-origins <list>', 'origins whose web pages may call the API and play sessions: * or a comma-separated list of http(s)://host[:port]')
    .env('OPENKVS_CORS_ORIGINS')
    .default('*'),
  new Option('--metrics-token <token>', 'bearer token GET /metrics requires (default: none; with --credentials, /metrics then answers loopback clients only)').env(
    'OPENKVS_METRICS_TOKEN',
  ),
  new Option('--ingest-memory-budget <MiB>', 'most PutMedia bytes held for fragments not yet durable, in MiB (default 384); past it producers are slowed by TCP backpressure').env(
    'OPENKVS_INGEST_MEMORY_BUDGET',
  ),
  new Option('--workers <n>', 'processes serving requests on the port, or auto (one per core); default 1').env('OPENKVS_WORKERS'),
  new Option('--insecure', 'allow a non-loopback bind without credentials').env('OPENKVS_INSECURE'),
  new Option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent').env('OPENKVS_LOG_LEVEL').default('info'),
  new Option('--relays <file>', 'run the relays of this relays.yaml in the server process (see `openkvs relay --config`)').env('OPENKVS_RELAYS'),
];

const serve = program.command('serve').description('start the server (control plane, media and playback on one port)');
for (const option of serveOptions) serve.addOption(option);
serve.action(async (flags: Record<string, string | boolean | undefined>) => {
  const raw: RawOptions = {
    host: flags['host'],
    port: flags['port'],
    dataDir: flags['dataDir'],
    publicUrl: flags['publicUrl'],
    region: flags['region'],
    accountId: flags['accountId'],
    credentialsFile: flags['credentials'],
    indexUrl: flags['index'],
    storageUrl: flags['storage'],
    s3Endpoint: flags['s3Endpoint'],
    s3Region: flags['s3Region'],
    s3ForcePathStyle: flags['s3ForcePathStyle'],
    s3Checksum: flags['s3Checksum'],
    s3RequestTimeout: flags['s3RequestTimeout'],
    sessionSecret: flags['sessionSecret'],
    corsOrigins: flags['corsOrigins'],
    metricsToken: flags['metricsToken'],
    ingestMemoryBudgetMb: flags['ingestMemoryBudget'],
    workers: flags['workers'],
    insecure: flags['insecure'],
    logLevel: flags['logLevel'],
  };
  try {
    const relaysFile = typeof flags['relays'] === 'string' ? flags['relays'] : undefined;
    const relays: Relay[] = [];
    // Loaded for `serve` only: the server's modules are most of the heap, and a long-running
    // `openkvs relay` would otherwise pay for them in every full GC (bench/README.md, relay.js).
    const options = resolveOptions(raw);
    const start = options.workers > 1 ? (await import('./workers/primary.js')).startWorkers : (await import('./server.js')).startServer;
    const server = await start(
      options,
      relaysFile ? { metrics: () => relayMetrics(relays.map((r) => r.status())), relays: () => relays.map(relayView) } : {},
    );
    if (relaysFile) relays.push(...startServerRelays(relaysFile, server.url));
    const stop = () => {
      // Relays first: their last fragments go to this server before it closes.
      void Promise.all(relays.map((r) => r.stop()))
        .then(() => server.close())
        .then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // SIGHUP re-reads --credentials: revoked keys stop working without a restart. A file that
    // does not load is logged and the keys in force stay.
    process.on('SIGHUP', () => {
      try {
        server.reloadCredentials();
      } catch (err) {
        server.log.error({ err: (err as Error).message }, 'credentials not reloaded; the previous keys stay in force');
      }
    });
  } catch (err) {
    if (err instanceof ConfigError) program.error(`openkvs: ${err.message}`, { exitCode: 2 });
    throw err;
  }
});

/** A relay as ListRelays shows it: camera passwords left out of its source and last error. */
function relayView(relay: Relay): RelayView {
  const status = relay.status();
  return { ...status, source: redactedSource(relay.options.source), lastError: status.lastError === undefined ? undefined : redactedSource(status.lastError) };
}

/** `serve --relays`: each relay supervised on its own; one failing is logged, the others go on. */
function startServerRelays(file: string, url: string): Relay[] {
  let options;
  try {
    options = loadRelaysConfig(file, { endpoint: url, parseDuration });
  } catch (err) {
    if (err instanceof RelayConfigError || err instanceof UsageError) throw new ConfigError(err.message);
    throw err;
  }
  return options.map((o) => {
    const relay = new Relay(o);
    relay.run().catch((err: unknown) => process.stderr.write(`openkvs: relay ${relay.name} stopped: ${(err as Error).message}\n`));
    return relay;
  });
}

// The client commands write results to stdout; the server logs there and keeps running.
program.hook('preAction', (_program, command) => {
  if (command.name() !== 'serve') exitQuietlyWhenStdoutCloses();
});
addPutMediaCommand(program);
addRelayCommand(program);
addGetClipCommand(program);
addGetImagesCommand(program);
addListFragmentsCommand(program);
addCredentialsCommand(program);

await program.parseAsync(process.argv);
