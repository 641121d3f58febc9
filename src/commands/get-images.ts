/**
 * `openkvs get-images`: still images of a stream's time range through GetImages, written one file
 * per sample into a directory. Like the AWS clients: GetDataEndpoint (APIName GET_IMAGES), then
 * GetImages pages on the data endpoint, following NextToken, SigV4-signed when credentials are
 * found. Files are named by the sample's timestamp (`2023-11-14T22-13-20.000Z.jpg`); samples
 * without an image (NO_MEDIA, MEDIA_ERROR) are counted on stderr. Exit codes: 0 done, 1 the
 * service refused or a write failed, 2 usage errors.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { endpointFrom, UsageError } from './put-media.js';
import { signedPost } from './signed-post.js';

interface GetImagesFlags {
  stream?: string;
  streamArn?: string;
  start?: string;
  end?: string;
  selector?: string;
  interval?: string;
  format?: string;
  quality?: string;
  width?: string;
  height?: string;
  output?: string;
  endpoint?: string;
  region?: string;
}

export interface GetImagesCommandInput {
  stream: { StreamName: string } | { StreamARN: string };
  request: Record<string, unknown>;
  format: 'JPEG' | 'PNG';
  directory: string;
  endpoint: string;
  region: string | undefined;
}

export function addGetImagesCommand(program: Command): void {
  program
    .command('get-images')
    .description('write still images of a time range of a stream with GetImages, one file per sample')
    .option('--stream <name>', 'stream name')
    .option('--stream-arn <arn>', 'stream ARN (instead of --stream)')
    .requiredOption('--start <time>', 'first sample: ISO-8601 or epoch seconds')
    .requiredOption('--end <time>', 'end of the range: ISO-8601 or epoch seconds (at most 300 s after --start)')
    .option('--interval <ms>', 'sampling interval in ms (at least 200)', '3000')
    .addOption(new Option('--format <format>', 'image format').choices(['JPEG', 'PNG']).default('JPEG'))
    .option('--quality <1-100>', 'JPEG quality (default 80)')
    .option('--width <pixels>', 'image width (needs --height)')
    .option('--height <pixels>', 'image height (alone: the width keeps the aspect ratio)')
    .addOption(new Option('--selector <type>', 'which timestamps the range is in').choices(['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP']).default('PRODUCER_TIMESTAMP'))
    .requiredOption('-o, --output <dir>', 'directory to write the images into (created if missing)')
    .option('--endpoint <url>', 'KVS endpoint (env OPENKVS_ENDPOINT, AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL; default http://127.0.0.1:4570)')
    .option('--region <region>', 'SigV4 region (default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host, us-east-1)')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: GetImagesFlags, command: Command) => {
      let input: GetImagesCommandInput;
      try {
        input = parseGetImagesCommand(flags, process.env);
      } catch (err) {
        if (err instanceof UsageError) command.error(`openkvs get-images: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      process.exitCode = await runGetImages(input);
    });
}

export function parseGetImagesCommand(flags: GetImagesFlags, env: NodeJS.ProcessEnv): GetImagesCommandInput {
  if ((flags.stream === undefined) === (flags.streamArn === undefined)) throw new UsageError('give exactly one of --stream and --stream-arn');
  const format = flags.format === 'PNG' ? 'PNG' : 'JPEG';
  const request: Record<string, unknown> = {
    ImageSelectorType: flags.selector === 'SERVER_TIMESTAMP' ? 'SERVER_TIMESTAMP' : 'PRODUCER_TIMESTAMP',
    StartTimestamp: parseTime(flags.start, '--start'),
    EndTimestamp: parseTime(flags.end, '--end'),
    SamplingInterval: positiveInteger(flags.interval, '--interval'),
    Format: format,
  };
  if (flags.quality !== undefined) request['FormatConfig'] = { JPEGQuality: String(positiveInteger(flags.quality, '--quality')) };
  if (flags.width !== undefined) request['WidthPixels'] = positiveInteger(flags.width, '--width');
  if (flags.height !== undefined) request['HeightPixels'] = positiveInteger(flags.height, '--height');
  return {
    stream: flags.stream !== undefined ? { StreamName: flags.stream } : { StreamARN: flags.streamArn ?? '' },
    request,
    format,
    directory: flags.output ?? '.',
    endpoint: endpointFrom(flags.endpoint, env),
    region: flags.region,
  };
}

function positiveInteger(value: string | undefined, flag: string): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got ${value}`);
  return Number(value);
}

/** "2026-11-21T10:00:00Z" or "1700000000.5" → epoch seconds. */
function parseTime(value: string | undefined, flag: string): number {
  if (value !== undefined && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  const ms = value === undefined ? Number.NaN : Date.parse(value);
  if (Number.isNaN(ms)) throw new UsageError(`${flag} must be ISO-8601 or epoch seconds, got ${value}`);
  return ms / 1000;
}

interface ImagesPage {
  Images?: { TimeStamp?: number; ImageContent?: string; Error?: string }[];
  NextToken?: string;
}

export async function runGetImages(input: GetImagesCommandInput): Promise<number> {
  try {
    const dataEndpoint = await getDataEndpoint(input);
    await mkdir(input.directory, { recursive: true });
    const missing = new Map<string, number>();
    let written = 0;
    let nextToken: string | undefined;
    do {
      const res = await signedPost(dataEndpoint, 'getImages', { ...input.stream, ...input.request, ...(nextToken ? { NextToken: nextToken } : {}) }, input.region);
      const page = (await res.json()) as ImagesPage;
      for (const image of page.Images ?? []) {
        if (image.ImageContent === undefined) {
          missing.set(image.Error ?? 'NO_IMAGE', (missing.get(image.Error ?? 'NO_IMAGE') ?? 0) + 1);
          continue;
        }
        await writeFile(path.join(input.directory, fileName(image.TimeStamp ?? 0, input.format)), Buffer.from(image.ImageContent, 'base64'));
        written++;
      }
      nextToken = page.NextToken;
    } while (nextToken);
    const skipped = [...missing].map(([error, count]) => `, ${count} ${error}`).join('');
    process.stderr.write(`get-images: ${written} images written to ${input.directory}${skipped}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`get-images: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The sample's instant, ISO-8601 with ':' made '-' so that every file system takes it. */
export function fileName(epochSeconds: number, format: 'JPEG' | 'PNG'): string {
  return `${new Date(Math.round(epochSeconds * 1000)).toISOString().replaceAll(':', '-')}.${format === 'PNG' ? 'png' : 'jpg'}`;
}

async function getDataEndpoint(input: GetImagesCommandInput): Promise<string> {
  const res = await signedPost(input.endpoint, 'getDataEndpoint', { ...input.stream, APIName: 'GET_IMAGES' }, input.region);
  const body = (await res.json()) as { DataEndpoint?: string };
  if (!body.DataEndpoint) throw new Error('GetDataEndpoint returned no DataEndpoint');
  return body.DataEndpoint;
}
