import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { findTool, REPO_ROOT, skipUnlessPresent, spawnServer, type RunningServer } from '../helpers/process.js';

const run = promisify(execFile);
const README = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const AWS_CLI = findTool(['/usr/bin/aws', 'aws']);

/** The lines of the n-th ```sh block of the README. */
function shellBlock(n: number): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim().split('\n'));
  const block = blocks[n];
  assert.ok(block, `README has a sh block #${n}`);
  return block;
}

const withoutComment = (line: string) => line.replace(/\s+#.*$/, '').trim();

describe("the README's commands are true", () => {
  let dataDir: string;
  let server: RunningServer;
  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'openkvs-readme-'));
  });
  after(async () => {
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('it starts with the install-and-start command and the test command', () => {
    assert.deepEqual(shellBlock(0).map(withoutComment), ['npm ci && npm start', 'npm test']);
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.ok(scripts['start'] && scripts['test']);
  });

  test('`npm start` serves the API (on a free port and a temporary data dir for the test)', async () => {
    // The suite runs from a current build, so `npm start` must not compile again (tens of seconds).
    const buildStamp = path.join(REPO_ROOT, 'dist/.build-complete');
    const builtAt = statSync(buildStamp).mtimeMs;
    server = await spawnServer('npm', ['start', '--silent'], { OPENKVS_PORT: '0', OPENKVS_DATA_DIR: dataDir });
    assert.equal(statSync(buildStamp).mtimeMs, builtAt, 'npm start on a current build started without compiling');
    const res = await fetch(`${server.url}/listStreams`, { method: 'POST', body: '{}' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { StreamInfoList: [], NextToken: null });
  });

  test('the AWS CLI tour runs as written', { skip: skipUnlessPresent(AWS_CLI, 'the AWS CLI (apt-get install -y awscli)') }, async () => {
    assert.ok(server, 'the server from the previous test is running');
    const env: NodeJS.ProcessEnv = { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    const outputs: string[] = [];
    for (const line of shellBlock(1)) {
      if (line.startsWith('export ')) {
        for (const [, name, value] of line.matchAll(/(\w+)=(\S+)/g)) env[name!] = value!;
        continue;
      }
      const expectedFailure = /# fails: (\w+)/.exec(line)?.[1];
      const args = withoutComment(line).split(/\s+/).slice(1).map((arg) => (arg === 'http://127.0.0.1:4570' ? server.url : arg));
      const result = await run(AWS_CLI!, args, { env }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => e,
      );
      if (expectedFailure) {
        assert.notEqual(result.code, 0, line);
        assert.match(result.stderr, new RegExp(expectedFailure), line);
      } else {
        assert.equal(result.code, 0, `${line}\n${result.stderr}`);
        outputs.push(result.stdout);
      }
    }
    const [create, describe, , tags, list, endpoint] = outputs.map((o) => (o.trim() ? (JSON.parse(o) as Record<string, any>) : {})); // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.match(create!['StreamARN'], /^arn:aws:kinesisvideo:us-east-1:000000000000:stream\/cam1\/\d+$/);
    assert.equal(describe!['StreamInfo'].Status, 'ACTIVE');
    assert.equal(describe!['StreamInfo'].DataRetentionInHours, 24);
    assert.equal(describe!['StreamInfo'].MediaType, 'video/h264');
    assert.deepEqual(tags!['Tags'], { site: 'garage' });
    assert.deepEqual(list!['StreamInfoList'].map((s: { StreamName: string }) => s.StreamName), ['cam1']);
    assert.equal(endpoint!['DataEndpoint'], server.url);
  });
});
