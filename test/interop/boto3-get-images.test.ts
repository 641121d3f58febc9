/**
 * boto3's GetImages: the `get_images` paginator walks openkvs's NextToken chain (pages of 25),
 * images decode as the asked format, a gap is NO_MEDIA, and refusals raise boto3's modeled
 * exception classes.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { skipUnlessPresent } from '../helpers/process.js';
import { rawPutMedia } from '../helpers/put-media.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { fixturePath } from '../unit/formats/isobmff/mkv-source.js';

const run = promisify(execFile);
const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import boto3']).status === 0);
const START_S = 1_700_000_000;

const SCRIPT = String.raw`
import base64, boto3, json, sys
from datetime import datetime, timezone
from botocore.config import Config
url, stream, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
kw = dict(region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b', config=Config(retries={'max_attempts': 1}))
kv = boto3.client('kinesisvideo', endpoint_url=url, **kw)
endpoint = kv.get_data_endpoint(StreamName=stream, APIName='GET_IMAGES')['DataEndpoint']
am = boto3.client('kinesis-video-archived-media', endpoint_url=endpoint, **kw)
# Older botocore models (Debian 12's) say SamplingInterval >= 3000 and check it client-side; the
# probes below must reach the server to test its rules.
raw = boto3.client('kinesis-video-archived-media', endpoint_url=endpoint, **dict(kw, config=Config(retries={'max_attempts': 1}, parameter_validation=False)))
at = lambda s: datetime.fromtimestamp(start + s, tz=timezone.utc)
out = {'pages': [], 'kinds': [], 'times': []}
for page in am.get_paginator('get_images').paginate(StreamName=stream, ImageSelectorType='PRODUCER_TIMESTAMP',
        StartTimestamp=at(-3), EndTimestamp=at(297), SamplingInterval=3000, Format='JPEG', FormatConfig={'JPEGQuality': '50'},
        HeightPixels=60, PaginationConfig={'PageSize': 100}):
    out['pages'].append(len(page['Images']))
    for image in page['Images']:
        out['times'].append(round(image['TimeStamp'].timestamp() - start, 3))
        if 'ImageContent' in image:
            out['kinds'].append('jpeg' if base64.b64decode(image['ImageContent'])[:2] == b'\xff\xd8' else 'other')
        else:
            out['kinds'].append(image['Error'])
def probe(name, **extra):
    args = dict(StreamName=stream, ImageSelectorType='PRODUCER_TIMESTAMP', StartTimestamp=at(0), EndTimestamp=at(1), SamplingInterval=3000, Format='PNG')
    args.update(extra)
    try:
        raw.get_images(**args)
        out[name] = 'ok'
    except raw.exceptions.ClientError as e:
        out[name] = [type(e).__name__, e.response['ResponseMetadata']['HTTPStatusCode']]
probe('long_range', EndTimestamp=at(301))
probe('fast_sampling', SamplingInterval=100)
probe('width_alone', WidthPixels=100)
probe('no_retention', StreamName='py-no-retention')
probe('missing_stream', StreamName='nope')
print(json.dumps(out))
`;

describe('boto3 get_images against openkvs', { skip: skipUnlessPresent(PYTHON, 'boto3 (apt-get install -y python3-boto3)') }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  test('the paginator, the images, NO_MEDIA outside the media and the modeled exceptions', async () => {
    await fetch(`${t.url}/createStream`, { method: 'POST', body: JSON.stringify({ StreamName: 'py-images', DataRetentionInHours: 1 }) });
    await fetch(`${t.url}/createStream`, { method: 'POST', body: JSON.stringify({ StreamName: 'py-no-retention', DataRetentionInHours: 0 }) });
    const ingest = await rawPutMedia(t.url, readFileSync(fixturePath('h264.mkv')), {
      headers: { 'x-amzn-stream-name': 'py-images', 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': `${START_S}.000` },
    });
    assert.equal(ingest.status, 200);
    const { stdout } = await run(PYTHON!, ['-c', SCRIPT, t.url, 'py-images', String(START_S)], { maxBuffer: 1 << 26 });
    const out = JSON.parse(stdout) as Record<string, unknown> & { pages: number[]; kinds: string[]; times: number[] };
    // -3 s to 297 s every 3 s: 100 samples in pages of 25, media at [0, 6).
    assert.deepEqual(out.pages, [25, 25, 25, 25]);
    assert.deepEqual(out.times, Array.from({ length: 100 }, (_, k) => -3 + k * 3));
    assert.deepEqual(out.kinds, out.times.map((s) => (s >= 0 && s < 6 ? 'jpeg' : 'NO_MEDIA')));
    assert.deepEqual(out['long_range'], ['InvalidArgumentException', 400]);
    assert.deepEqual(out['fast_sampling'], ['InvalidArgumentException', 400]);
    assert.deepEqual(out['width_alone'], ['InvalidArgumentException', 400]);
    assert.deepEqual(out['missing_stream'], ['ResourceNotFoundException', 404]);
    assert.deepEqual(out['no_retention'], ['NoDataRetentionException', 400]);
  });
});
