/** relays.yaml (src/relay/config.ts): entries with their defaults, options, and plain refusals. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseDuration } from '../../../src/commands/relay.js';
import { loadRelaysConfig, RelayConfigError } from '../../../src/relay/config.js';

describe('relays.yaml', () => {
  // A single-camera relay must not carry yaml's heap (src/relay/config.ts): the modules
  // `openkvs relay` imports, in a fresh process, leave it unloaded until a config file is read.
  test('the relay modules do not load yaml until a relays.yaml is read', () => {
    const modules = ['../../../src/commands/relay.js', '../../../src/relay/relay.js', '../../../src/relay/config.js'].map((m) => new URL(m, import.meta.url).href);
    const script = `
      import { createRequire } from 'node:module';
      for (const m of ${JSON.stringify(modules)}) await import(m);
      const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/node_modules/yaml/'));
      process.stdout.write(String(loaded));`;
    assert.equal(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }), 'false');
  });

  let dir = '';
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'openkvs-relays-config-'))));
  after(async () => rm(dir, { recursive: true, force: true }));
  const load = async (text: string) => {
    const file = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, text);
    return loadRelaysConfig(file, { endpoint: 'http://127.0.0.1:4570', parseDuration });
  };

  test('each entry gets the file-wide endpoint and the flags\' defaults; options as the flags', async () => {
    const relays = await load(
      [
        'endpoint: http://10.0.0.5:4570',
        'relays:',
        '  - stream: door',
        '    source: rtsp://cam1/stream1',
        '  - name: yard-hd',
        '    stream: yard',
        '    source: rtsp://cam2/h264',
        '    endpoint: https://kvs.example',
        '    rtsp-transport: udp',
        '    stall: 15s',
        '    buffer: 1m',
        '    session-max: 2h',
        '    tags: { site: hq, floor: 2 }',
        '    loop: true',
        '    create: true',
      ].join('\n'),
    );
    assert.deepEqual(relays[0], { name: 'door', stream: 'door', source: 'rtsp://cam1/stream1', endpoint: 'http://10.0.0.5:4570', stallMs: 10_000, bufferMs: 30_000, tags: [] });
    assert.deepEqual(relays[1], {
      name: 'yard-hd',
      stream: 'yard',
      source: 'rtsp://cam2/h264',
      endpoint: 'https://kvs.example',
      rtspTransport: 'udp',
      stallMs: 15_000,
      bufferMs: 60_000,
      // Capped at AWS's 45-minute PutMedia limit.
      maxSessionMs: 45 * 60_000,
      tags: [
        { name: 'site', value: 'hq' },
        { name: 'floor', value: '2' },
      ],
      loop: true,
      create: true,
    });
  });

  test('JSON is YAML too; the default endpoint applies when the file names none', async () => {
    const relays = await load('{"relays": [{"stream": "a", "source": "srt://127.0.0.1:9000"}]}');
    assert.equal(relays[0]!.endpoint, 'http://127.0.0.1:4570');
  });

  const refusals: Array<[string, string, RegExp]> = [
    ['no list', 'endpoint: x', /expected a "relays:" list/],
    ['an empty list', 'relays: []', /expected a "relays:" list/],
    ['a typo', 'relays:\n  - stream: a\n    sorce: rtsp://x', /unknown key "sorce"/],
    ['no source', 'relays:\n  - stream: a', /"stream" and "source" are required/],
    ['two relays with one name', 'relays:\n  - {stream: a, source: x}\n  - {stream: a, source: y}', /two relays named "a"/],
    ['a bad transport', 'relays:\n  - {stream: a, source: x, rtsp-transport: http}', /rtsp-transport must be tcp or udp/],
    ['tags as a list', 'relays:\n  - {stream: a, source: x, tags: [a]}', /tags must be a mapping/],
    ['a bad duration', 'relays:\n  - {stream: a, source: x, stall: soon}', /stall must be a duration/],
    ['not YAML', 'relays: [', /c.*\.yaml/],
  ];
  for (const [what, text, reason] of refusals) {
    test(`refused: ${what}`, async () => {
      await assert.rejects(load(text), (err: Error) => {
        assert.ok(err instanceof RelayConfigError || err.name === 'UsageError' || /duration/.test(err.message), `${err.name}: ${err.message}`);
        assert.match(err.message, reason);
        return true;
      });
    });
  }
});
