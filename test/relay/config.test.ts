/**
 * Many cameras, one process: `openkvs relay --config relays.yaml` and `openkvs serve --relays`
 * (with each relay's state in GET /metrics), and a bad file refused with exit code 2.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OPENKVS_CLI } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/process.js';
import { freePort } from '../helpers/services.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { listFragments, relayToolsSkip, startCamera, startRelay, type Camera } from './helpers.js';

describe('relays from a config file', { skip: relayToolsSkip() }, () => {
  let t: TestServer;
  let camera: Camera;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    camera = await startCamera(['--gop', '15', '--fps', '15']);
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-relays-'));
  });
  after(async () => {
    await camera?.stop();
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  test('relay --config runs each entry, creating the streams', { timeout: 40_000 }, async () => {
    const file = path.join(dir, 'relays.yaml');
    await writeFile(
      file,
      `endpoint: ${t.url}\nrelays:\n  - stream: yard\n    source: ${camera.url}\n    create: true\n    tags: { site: hq }\n  - stream: gate\n    source: ${camera.url}\n    create: true\n    stall: 5s\n`,
    );
    const relay = startRelay(['--config', file]);
    const persisted = new Map<string, number>();
    await relay.until(
      (s) => {
        persisted.set((s as unknown as { name: string }).name, s.fragmentsPersisted);
        return (persisted.get('yard') ?? 0) >= 2 && (persisted.get('gate') ?? 0) >= 2;
      },
      30_000,
      'both relays persisting',
    );
    assert.equal(await relay.stop(), 0, relay.stderr());
    assert.ok((await listFragments(t, 'yard')).length >= 2);
    assert.ok((await listFragments(t, 'gate')).length >= 2);
  });

  test('a bad config file exits 2 with the reason', async () => {
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'relays:\n  - stream: x\n    sorce: rtsp://127.0.0.1/x\n');
    const relay = startRelay(['--config', file]);
    assert.equal(await relay.exited, 2);
    assert.match(relay.stderr(), /unknown key "sorce"/);
  });

  test('serve --relays runs them in the server and reports them in /metrics', { timeout: 40_000 }, async () => {
    const file = path.join(dir, 'serve-relays.yaml');
    await writeFile(file, `relays:\n  - stream: porch\n    source: ${camera.url}\n    create: true\n`);
    const port = await freePort();
    const server = spawn(process.execPath, [OPENKVS_CLI, 'serve', '--port', String(port), '--data-dir', path.join(dir, 'data'), '--log-level', 'warn', '--relays', file], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => server.on('close', resolve));
    try {
      let metrics = '';
      for (let i = 0; i < 60; i++) {
        await new Promise((r) => setTimeout(r, 500));
        metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
        const m = /openkvs_relay_fragments_persisted_total\{relay="porch",stream="porch"\} (\d+)/.exec(metrics);
        if (m && Number(m[1]) >= 2) break;
      }
      assert.match(metrics, /openkvs_relay_fragments_persisted_total\{relay="porch",stream="porch"\} ([2-9]|\d\d)/, `${metrics}\n${stderr}`);
      assert.match(metrics, /openkvs_relay_state\{relay="porch",stream="porch",state="live"\} 1/);
    } finally {
      server.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
  });
});
