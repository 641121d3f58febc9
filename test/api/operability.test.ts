/**
 * /health/live, /health/ready and /metrics: health answers for load balancers, Prometheus text
 * whose counters move by exactly the bytes and fragments ingested and served, a bounded stream
 * label set, who may read /metrics in secured mode, and the static console routes beside the API.
 */
import { CreateStreamCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { concatBytes } from '../../src/formats/bytes/read.js';
import { rawPutMedia } from '../helpers/put-media.js';
import { startTestServer, TEST_CREDENTIALS, type TestServer } from '../helpers/server.js';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function http(url: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The value of one sample in Prometheus text, 0 when the series does not exist yet. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labelText = line.slice(name.length).startsWith('{') ? line.slice(name.length + 1, line.indexOf('}')) : '';
    const have = labelText === '' ? [] : labelText.split(',');
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

async function metrics(url: string): Promise<string> {
  const answer = await http(`${url}/metrics`);
  assert.equal(answer.status, 200, answer.body.toString());
  assert.match(String(answer.headers['content-type']), /^text\/plain/);
  return answer.body.toString();
}

const START_MS = 1_700_000_000_000;

function recording(fragments: number): Uint8Array {
  const rng = prng(7);
  return concatBytes([
    streamHeader(),
    ...Array.from({ length: fragments }, (_, c) =>
      cluster({ timecode: c * 1000, frames: Array.from({ length: 5 }, () => randomBytes(rng, 2_000)), frameMs: 200, knownSize: true }),
    ),
  ]);
}

async function putMedia(url: string, stream: string, body: Uint8Array): Promise<void> {
  const result = await rawPutMedia(url, body, {
    headers: { 'x-amzn-stream-name': stream, 'x-amzn-fragment-timecode-type': 'RELATIVE', 'x-amzn-producer-start-timestamp': (START_MS / 1000).toFixed(3) },
  });
  assert.equal(result.status, 200, result.text);
  assert.deepEqual(result.acks.filter((a) => a.EventType === 'ERROR'), []);
}

describe('health and metrics (open mode)', () => {
  let t: TestServer;
  let consoleDir = '';
  before(async () => {
    consoleDir = await mkdtemp(path.join(tmpdir(), 'openkvs-console-'));
    await mkdir(path.join(consoleDir, 'assets'));
    await writeFile(path.join(consoleDir, 'index.html'), '<!doctype html><title>openkvs</title>');
    await writeFile(path.join(consoleDir, 'assets', 'app-ABC123.js'), 'console.log(1)');
    t = await startTestServer({}, { metricsMaxStreams: 2, consoleDir });
  });
  after(async () => {
    await t?.dispose();
    if (consoleDir) await rm(consoleDir, { recursive: true, force: true });
  });

  test('/health/live and /health/ready answer 200 with JSON', async () => {
    const live = await http(`${t.url}/health/live`);
    assert.equal(live.status, 200);
    assert.deepEqual(JSON.parse(live.body.toString()), { status: 'live' });
    const ready = await http(`${t.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.body.toString()), { status: 'ready', index: 'ok', blobStore: 'ok' });
    assert.equal((await http(`${t.url}/health/ready`, { method: 'HEAD' })).status, 200);
  });

  test('counters move by exactly the bytes and fragments ingested and served', async () => {
    await t.control().send(new CreateStreamCommand({ StreamName: 'm1', DataRetentionInHours: 24 }));
    const before = await metrics(t.url);
    const body = recording(3);
    await putMedia(t.url, 'm1', body);
    let text = await metrics(t.url);
    assert.equal(sample(text, 'kvs_putmedia_incoming_bytes_total', { stream: 'm1' }) - sample(before, 'kvs_putmedia_incoming_bytes_total', { stream: 'm1' }), body.byteLength);
    assert.equal(sample(text, 'kvs_putmedia_incoming_fragments_total', { stream: 'm1' }), 3);
    assert.equal(sample(text, 'kvs_putmedia_fragment_persist_latency_seconds_count', { stream: 'm1' }), 3);
    assert.equal(sample(text, 'kvs_putmedia_fragment_ingestion_latency_seconds_count', { stream: 'm1' }), 3);
    assert.equal(sample(text, 'kvs_putmedia_active_connections', { stream: 'm1' }), 0);
    assert.equal(sample(text, 'kvs_putmedia_requests_total', { stream: 'm1' }), 1);
    assert.ok(sample(text, 'process_cpu_user_seconds_total') > 0, 'process metrics');

    // ListFragments, then GetMediaForFragmentList of every fragment: its bytes are counted.
    const list = await http(`${t.url}/listFragments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ StreamName: 'm1' }) });
    assert.equal(list.status, 200, list.body.toString());
    const fragments = (JSON.parse(list.body.toString()) as { Fragments: { FragmentNumber: string }[] }).Fragments.map((f) => f.FragmentNumber);
    assert.equal(fragments.length, 3);
    const media = await http(`${t.url}/getMediaForFragmentList`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ StreamName: 'm1', Fragments: fragments }),
    });
    assert.equal(media.status, 200);
    text = await metrics(t.url);
    assert.equal(sample(text, 'kvs_getmediaforfragmentlist_outgoing_bytes_total', { stream: 'm1' }), media.body.byteLength);
    assert.ok(media.body.byteLength > 3 * 5 * 2_000);
    assert.equal(sample(text, 'kvs_listfragments_requests_total', { stream: 'm1' }), 1);
    assert.equal(sample(text, 'kvs_listfragments_latency_seconds_count', { stream: 'm1' }), 1);
  });

  test('a failing PutMedia counts its ERROR ack by code', async () => {
    await t.control().send(new CreateStreamCommand({ StreamName: 'm2', DataRetentionInHours: 24 }));
    const result = await rawPutMedia(t.url, Buffer.from('this is not matroska at all'), {
      headers: { 'x-amzn-stream-name': 'm2', 'x-amzn-fragment-timecode-type': 'RELATIVE' },
    });
    const error = result.acks.find((a) => a.EventType === 'ERROR');
    assert.ok(error?.ErrorCode, result.text);
    const text = await metrics(t.url);
    assert.equal(sample(text, 'kvs_putmedia_error_acks_total', { stream: 'm2', error_code: error.ErrorCode }), 1);
  });

  test('a failing request naming an unknown stream takes no label slot', async () => {
    const missing = await http(`${t.url}/describeStream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ StreamName: 'no-such-stream' }) });
    assert.equal(missing.status, 404);
    const text = await metrics(t.url);
    assert.equal(sample(text, 'kvs_describestream_requests_total', { stream: 'no-such-stream' }), 0);
    assert.equal(sample(text, 'kvs_describestream_requests_total', { stream: '_other' }), 1);
  });

  test('stream labels are bounded: beyond the first N names, `_other`', async () => {
    await t.control().send(new CreateStreamCommand({ StreamName: 'm3', DataRetentionInHours: 24 }));
    const body = recording(1);
    await putMedia(t.url, 'm3', body);
    const text = await metrics(t.url);
    assert.equal(sample(text, 'kvs_putmedia_incoming_bytes_total', { stream: 'm3' }), 0);
    assert.equal(sample(text, 'kvs_putmedia_incoming_bytes_total', { stream: '_other' }), body.byteLength);
  });

  test('the console: index.html no-cache, hashed assets immutable, page fallback only for HTML GETs', async () => {
    const root = await http(`${t.url}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers['cache-control'], 'no-cache');
    assert.match(String(root.headers['content-type']), /^text\/html/);
    const again = await http(`${t.url}/`, { headers: { 'if-none-match': String(root.headers['etag']) } });
    assert.equal(again.status, 304);
    const asset = await http(`${t.url}/assets/app-ABC123.js`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(asset.headers['content-type']), /^text\/javascript/);
    assert.equal((await http(`${t.url}/assets/nope.js`)).status, 404);
    assert.equal((await http(`${t.url}/assets/..%2Findex.html`)).status, 404);
    const deep = await http(`${t.url}/streams/cam1`, { headers: { accept: 'text/html,application/xhtml+xml' } });
    assert.equal(deep.status, 200);
    assert.match(deep.body.toString(), /openkvs/);
    // Not HTML, or not GET: the API's answers, unchanged.
    const json = await http(`${t.url}/streams/cam1`);
    assert.equal(json.status, 404);
    assert.equal(JSON.parse(json.body.toString()).__type, 'UnknownOperationException');
    const post = await http(`${t.url}/`, { method: 'POST', headers: { accept: 'text/html' } });
    assert.equal(post.status, 404);
    const metricsAsHtml = await http(`${t.url}/metrics`, { headers: { accept: 'text/html' } });
    assert.match(metricsAsHtml.body.toString(), /kvs_putmedia_incoming_bytes_total/);
    const list = await http(`${t.url}/listStreams`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{}' });
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(JSON.parse(list.body.toString()).StreamInfoList));
  });
});

describe('/metrics in secured mode', () => {
  let dir = '';
  let open: TestServer | undefined;
  let tokened: TestServer | undefined;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-metrics-'));
    const credentialsFile = path.join(dir, 'credentials');
    await writeFile(credentialsFile, `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n`);
    open = await startTestServer({ credentialsFile });
    tokened = await startTestServer({ credentialsFile, metricsToken: 'metrics-token-0123456789' });
  });
  after(async () => {
    await open?.dispose();
    await tokened?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('without --metrics-token: loopback clients read it, health needs no credentials', async () => {
    assert.equal((await http(`${open!.url}/metrics`)).status, 200);
    assert.equal((await http(`${open!.url}/health/ready`)).status, 200);
    // The API itself still wants SigV4.
    assert.equal((await http(`${open!.url}/listStreams`, { method: 'POST', body: '{}' })).status, 403);
  });

  test('with --metrics-token: a bearer token is required, even from loopback', async () => {
    assert.equal((await http(`${tokened!.url}/metrics`)).status, 401);
    assert.equal((await http(`${tokened!.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status, 403);
    const ok = await http(`${tokened!.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
    assert.equal(ok.status, 200);
    assert.match(ok.body.toString(), /process_resident_memory_bytes/);
  });
});
