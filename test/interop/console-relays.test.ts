/**
 * Relay state in the web console: `openkvs serve --relays` (secured: --credentials) runs two
 * relays, one from a GStreamer RTSP camera on 127.0.0.1, one from a camera that is not there.
 * ListRelays answers a signed call and refuses an unsigned one; in chromium, the streams page
 * shows each stream's relay (state, fps, bit rate, last error) and the stream page its card.
 * Screenshots go to $OPENKVS_TEST_ARTIFACTS/console (default test-artifacts/).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { signRequest } from '../../src/client/sigv4-sign.js';
import { CHROMIUM_PATH, launchChromium } from '../helpers/browser-player.js';
import { isolatedAwsEnv, OPENKVS_CLI } from '../helpers/cli.js';
import { browserProcessTree, endProcesses } from '../helpers/player/processes.js';
import { findTool, REPO_ROOT, skipUnlessPresent } from '../helpers/process.js';
import { TEST_CREDENTIALS } from '../helpers/server.js';
import { freePort } from '../helpers/services.js';
import { relayToolsSkip, startCamera, type Camera } from '../relay/helpers.js';

const skip =
  skipUnlessPresent(findTool([CHROMIUM_PATH]), 'chromium (apt-get install -y chromium)') ||
  relayToolsSkip() ||
  (existsSync(path.join(REPO_ROOT, 'dist/console/index.html')) ? false : 'the console is not built (npm run build)');
const ARTIFACTS = path.join(process.env['OPENKVS_TEST_ARTIFACTS'] ?? path.join(REPO_ROOT, 'test-artifacts'), 'console');

const DOOR_VIEWER = { accessKeyId: 'AKIDDOORVIEWER', secretAccessKey: 'door-viewer-secret' };

interface ListedRelay {
  Name: string;
  StreamName: string;
  Source: string;
  State: string;
  FragmentsPersisted: number;
  LastError?: string;
}

/** POST /openkvs/listRelays, SigV4-signed with `key` (or unsigned). */
async function listRelays(url: string, key: typeof TEST_CREDENTIALS | undefined): Promise<{ status: number; body: { Relays?: ListedRelay[] } }> {
  const target = new URL('/openkvs/listRelays', url);
  const body = '{}';
  let headers: Record<string, string> = { host: target.host, 'content-type': 'application/json' };
  if (key) {
    const payloadHash = createHash('sha256').update(body).digest('hex');
    headers = signRequest({ method: 'POST', path: target.pathname, headers }, { credentials: key, region: 'us-east-1', nowMs: Date.now(), payloadHash });
  }
  const res = await fetch(target, { method: 'POST', headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host')), body });
  return { status: res.status, body: (await res.json()) as { Relays?: ListedRelay[] } };
}

describe('web console: relay state', { skip, timeout: 180_000 }, () => {
  let dir = '';
  let camera: Camera;
  let server: ChildProcess | undefined;
  let serverErr = '';
  let url = '';
  let context: BrowserContext | undefined;
  let userDataDir = '';
  let page: Page;

  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-console-relays-'));
    camera = await startCamera(['--gop', '15', '--fps', '15']);
    const absent = await freePort(); // nothing listens there: a camera that is away
    const credentials = path.join(dir, 'credentials');
    // A second key that may describe the door stream only: it is shown the door's relay only.
    await writeFile(
      path.join(dir, 'door-only.json'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:DescribeStream', Resource: 'arn:aws:kinesisvideo:*:*:stream/door/*' }] }),
    );
    await writeFile(
      credentials,
      `[default]\naws_access_key_id = ${TEST_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${TEST_CREDENTIALS.secretAccessKey}\n` +
        `[door-viewer]\naws_access_key_id = ${DOOR_VIEWER.accessKeyId}\naws_secret_access_key = ${DOOR_VIEWER.secretAccessKey}\npolicy = door-only.json\n`,
    );
    const relays = path.join(dir, 'relays.yaml');
    await writeFile(
      relays,
      [
        'relays:',
        '  - stream: door',
        `    source: rtsp://admin:s3cret@127.0.0.1:${camera.port}/cam`,
        '    create: true',
        '  - stream: yard',
        `    source: rtsp://admin:s3cret@127.0.0.1:${absent}/cam`,
        '    create: true',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    // The relays sign their PutMedia with the key the AWS default chain finds (here: the environment).
    server = spawn(process.execPath, [OPENKVS_CLI, 'serve', '--port', String(port), '--data-dir', path.join(dir, 'data'), '--log-level', 'warn', '--credentials', credentials, '--relays', relays], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: isolatedAwsEnv(TEST_CREDENTIALS),
    });
    server.stderr!.on('data', (d: Buffer) => (serverErr += d.toString()));
    userDataDir = path.join(dir, 'profile');
    context = await launchChromium(userDataDir, { viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.on('pageerror', (err) => console.error(`[page] ${err.message}`));
  });

  after(async () => {
    const tree = userDataDir ? browserProcessTree(userDataDir) : [];
    await context?.close().catch(() => undefined);
    await endProcesses(tree);
    if (server && server.exitCode === null) {
      const closed = new Promise((resolve) => server!.on('close', resolve));
      server.kill('SIGTERM');
      await closed;
    }
    await camera?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('ListRelays is signed like every call, and names each relay with its state', async () => {
    let listed: ListedRelay[] = [];
    for (let i = 0; i < 120; i++) {
      const answer = await listRelays(url, TEST_CREDENTIALS).catch(() => undefined);
      listed = answer?.body.Relays ?? [];
      const door = listed.find((r) => r.Name === 'door');
      const yard = listed.find((r) => r.Name === 'yard');
      if (door?.State === 'live' && door.FragmentsPersisted >= 2 && yard?.LastError) break;
      await sleep(500);
    }
    const door = listed.find((r) => r.Name === 'door');
    const yard = listed.find((r) => r.Name === 'yard');
    assert.equal(door?.State, 'live', `${JSON.stringify(listed)}\n${serverErr}`);
    assert.ok(door!.FragmentsPersisted >= 2);
    // The camera's password stays in relays.yaml.
    assert.equal(door!.Source, `rtsp://127.0.0.1:${camera.port}/cam`);
    assert.ok(yard && yard.State !== 'live' && yard.LastError, JSON.stringify(yard));
    assert.doesNotMatch(JSON.stringify(listed), /s3cret/, 'no camera password in sources or errors');
    // Listed to callers that may DescribeStream the relay's stream.
    const doorOnly = await listRelays(url, DOOR_VIEWER);
    assert.deepEqual(doorOnly.body.Relays?.map((r) => r.Name), ['door'], JSON.stringify(doorOnly));
    const unsigned = await listRelays(url, undefined);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.body.Relays, undefined);
  });

  test('the streams page shows each relay; the stream page its card', async () => {
    await page.goto(`${url}/`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Access key ID').fill(TEST_CREDENTIALS.accessKeyId);
    await page.getByLabel('Secret access key').fill(TEST_CREDENTIALS.secretAccessKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Streams' }).waitFor();

    const door = page.locator('[data-stream="door"] [data-testid="relay"]');
    await door.and(page.locator('[data-state="live"]')).waitFor({ timeout: 20_000 });
    assert.match((await door.getByTestId('relay-rate').textContent()) ?? '', /^\d+\.\d fps · [\d,]+ kbit\/s$/);
    const yard = page.locator('[data-stream="yard"] [data-testid="relay"]');
    await yard.waitFor();
    assert.notEqual(await yard.getAttribute('data-state'), 'live');
    assert.ok(((await yard.getByTestId('relay-error').textContent()) ?? '').length > 0, 'the away camera shows its last error');
    // The fps needs 10 s of fragments to settle; the picture is drawn with the relay's line.
    await sleep(3000);
    await page.screenshot({ path: path.join(ARTIFACTS, 'relays-streams-desktop.png'), fullPage: true });

    await page.locator('[data-stream="door"]').getByRole('link', { name: 'door' }).click();
    await page.getByRole('heading', { name: 'door' }).waitFor();
    const card = page.getByTestId('relay-card');
    await card.waitFor();
    assert.ok(Number((await card.getByTestId('relay-persisted').textContent())?.replace(/,/g, '')) >= 2);
    assert.match((await card.textContent()) ?? '', new RegExp(`rtsp://127\\.0\\.0\\.1:${camera.port}/cam`));
    await page.screenshot({ path: path.join(ARTIFACTS, 'relays-stream-desktop.png'), fullPage: true });
  });
});
