/**
 * Short-lived credentials: issued by `openkvs credentials issue` (plain and credential_process
 * JSON), used unchanged by the v3 SDK, boto3 and the AWS CLI (credential_process too), limited by
 * their policy and the issuer's, verified by a second node that shares only the secret, refused
 * once expired (injected clock), once their issuer is removed (reload), and when tampered with.
 */
import { CreateStreamCommand, DescribeStreamCommand, KinesisVideoClient, ListStreamsCommand } from '@aws-sdk/client-kinesis-video';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { putMedia, signRequest, type PutMediaHttpError } from '../../src/client/index.js';
import { isolatedAwsEnv, OPENKVS_CLI, runOpenkvs } from '../helpers/cli.js';
import { fixture } from '../helpers/kvs-readers.js';
import { findTool, skipUnlessPresent } from '../helpers/process.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);
const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import boto3']).status === 0);
const AWS_CLI = findTool(['/usr/bin/aws', 'aws']);

const SECRET = 'ab'.repeat(32);
const ADMIN = { accessKeyId: 'AKIDADMIN', secretAccessKey: 'admin-secret' };
const FLEET = { accessKeyId: 'AKIDFLEET', secretAccessKey: 'fleet-secret' };

/** The KVS developer guide's IoT camera policy (dg/how-iot.html): each thing writes to the stream of its name. */
const CAMERA_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['kinesisvideo:DescribeStream', 'kinesisvideo:PutMedia', 'kinesisvideo:TagStream', 'kinesisvideo:GetDataEndpoint'],
      Resource: 'arn:aws:kinesisvideo:*:*:stream/${credentials-iot:ThingName}/*',
    },
  ],
};

interface Issued {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

describe('short-lived credentials', () => {
  let dir: string;
  let credentialsFile: string;
  let t: TestServer;
  let clockOffsetMs = 0;
  const clock = { nowMs: () => Date.now() + clockOffsetMs };

  const writeCredentials = (keys: { name: string; key: typeof ADMIN; policy?: string }[]) =>
    writeFile(credentialsFile, keys.map(({ name, key, policy }) => `[${name}]\naws_access_key_id=${key.accessKeyId}\naws_secret_access_key=${key.secretAccessKey}\n${policy ? `policy=${policy}\n` : ''}`).join('\n'));
  const issue = async (args: string[], issuer = FLEET): Promise<Issued> => {
    const cli = await runOpenkvs(['credentials', 'issue', '--endpoint', t.url, '--json', ...args], { env: isolatedAwsEnv(issuer) });
    assert.equal(cli.code, 0, cli.stderr);
    return JSON.parse(cli.stdout.toString()) as Issued;
  };
  /**
   * Issued `hoursAgo` hours ago for `ttl`: the server's injected clock is set back while a request
   * signed with that same time asks for them (a real clock would refuse the signature's date).
   */
  const issueInThePast = async (hoursAgo: number, ttlSeconds: number): Promise<Issued> => {
    clockOffsetMs = -hoursAgo * 3600_000;
    try {
      const body = JSON.stringify({ Policy: JSON.stringify(CAMERA_POLICY), DurationSeconds: ttlSeconds, Name: 'cam-17' });
      const url = new URL('/openkvs/issueCredentials', t.url);
      const headers = signRequest(
        { method: 'POST', path: url.pathname, headers: { host: url.host, 'content-type': 'application/json' } },
        { credentials: FLEET, region: 'us-east-1', nowMs: clock.nowMs(), payloadHash: createHash('sha256').update(body).digest('hex') },
      );
      delete headers['host'];
      const res = await fetch(url, { method: 'POST', headers, body });
      assert.equal(res.status, 200);
      const { Credentials } = (await res.json()) as { Credentials: Omit<Issued, 'Version'> };
      return { Version: 1, ...Credentials };
    } finally {
      clockOffsetMs = 0;
    }
  };
  const sdk = (c: Issued) =>
    new KinesisVideoClient({ endpoint: t.url, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-issued-'));
    credentialsFile = path.join(dir, 'credentials');
    await writeFile(path.join(dir, 'camera.json'), JSON.stringify(CAMERA_POLICY));
    await writeFile(path.join(dir, 'everything.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }));
    // The fleet key itself may only touch cam-* streams.
    await writeFile(path.join(dir, 'fleet.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: 'arn:aws:kinesisvideo:*:*:stream/cam-*/*' }] }));
    await writeCredentials([{ name: 'admin', key: ADMIN }, { name: 'fleet', key: FLEET, policy: 'fleet.json' }]);
    t = await startTestServer({ credentialsFile, sessionSecret: SECRET }, { clock });
    for (const name of ['cam-17', 'cam-18', 'lobby']) await t.control(ADMIN).send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 1 }));
  });
  after(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('issue prints the credential_process format, valid for the TTL', async () => {
    const before = Date.now();
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--ttl', '12h', '--name', 'cam-17']);
    assert.equal(c.Version, 1);
    assert.match(c.AccessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.ok(c.SecretAccessKey.length >= 40 && c.SessionToken.length > 0);
    const after = Date.now();
    // Issued between `before` and `after`, for 12 hours (the ISO form drops nothing: ms precision).
    const expires = Date.parse(c.Expiration);
    assert.ok(expires >= before + 12 * 3600_000 && expires <= after + 12 * 3600_000, c.Expiration);
    const plain = await runOpenkvs(['credentials', 'issue', '--endpoint', t.url, '--policy', path.join(dir, 'camera.json'), '--name', 'cam-17'], { env: isolatedAwsEnv(FLEET) });
    assert.match(plain.stdout.toString(), /^AccessKeyId ASIA\w{16}\nSecretAccessKey \S+\nSessionToken \S+\nExpiration \S+\n$/);
  });

  it('the v3 SDK and the PutMedia client use them: their own stream only', async () => {
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    const kv = sdk(c);
    assert.equal((await kv.send(new DescribeStreamCommand({ StreamName: 'cam-17' }))).StreamInfo?.StreamName, 'cam-17');
    const other = await rejection(() => kv.send(new DescribeStreamCommand({ StreamName: 'cam-18' })));
    assert.equal(other.name, 'AccessDeniedException');
    assert.match(other.message, /^User: arn:aws:sts::000000000000:federated-user\/cam-17 is not authorized to perform: kinesisvideo:DescribeStream/);
    assert.equal((await rejection(() => kv.send(new ListStreamsCommand({})))).name, 'AccessDeniedException');
    const credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    const own = putMedia({ endpoint: t.url, streamName: 'cam-17', body: createReadStream(fixture('h264.mkv')), timecodeType: 'RELATIVE', credentials, region: 'us-east-1' });
    for await (const ack of own) void ack;
    assert.ok((await own.done).fragments.persisted > 0);
    const foreign = putMedia({ endpoint: t.url, streamName: 'cam-18', body: createReadStream(fixture('h264.mkv')), timecodeType: 'RELATIVE', credentials, region: 'us-east-1' });
    const refused = (await rejection(() => foreign.done)) as unknown as PutMediaHttpError;
    assert.deepEqual([refused.errorType, refused.statusCode], ['NotAuthorizedException', 403]);
  });

  it("may only narrow the issuer's rights: an Allow-everything policy still ends at the fleet key's cam-* streams", async () => {
    const c = await issue(['--policy', path.join(dir, 'everything.json'), '--name', 'wide']);
    const kv = sdk(c);
    await kv.send(new DescribeStreamCommand({ StreamName: 'cam-18' }));
    assert.equal((await rejection(() => kv.send(new DescribeStreamCommand({ StreamName: 'lobby' })))).name, 'AccessDeniedException');
    assert.equal((await rejection(() => kv.send(new CreateStreamCommand({ StreamName: 'lobby-2' })))).name, 'AccessDeniedException');
  });

  it('issued credentials cannot issue more, and a bad policy or TTL is refused', async () => {
    const c = await issue(['--policy', path.join(dir, 'everything.json')]);
    const env = { ...isolatedAwsEnv({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey }), AWS_SESSION_TOKEN: c.SessionToken };
    const again = await runOpenkvs(['credentials', 'issue', '--endpoint', t.url, '--policy', path.join(dir, 'camera.json')], { env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /AccessDeniedException/);
    await writeFile(path.join(dir, 'typo.json'), JSON.stringify({ Statement: { Effect: 'Allow', Action: 'kinesisvideo:PutMedai', Resource: '*' } }));
    const typo = await runOpenkvs(['credentials', 'issue', '--endpoint', t.url, '--policy', path.join(dir, 'typo.json')], { env: isolatedAwsEnv(FLEET) });
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /InvalidArgumentException.*unknown action "kinesisvideo:PutMedai"/);
    const tooLong = await runOpenkvs(['credentials', 'issue', '--endpoint', t.url, '--policy', path.join(dir, 'camera.json'), '--ttl', '37h'], { env: isolatedAwsEnv(FLEET) });
    assert.equal(tooLong.code, 1);
    assert.match(tooLong.stderr, /InvalidArgumentException/);
  });

  it('a tampered token is not recognized', async () => {
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    const last = c.SessionToken.at(-2) === 'A' ? 'B' : 'A';
    const tampered = { ...c, SessionToken: `${c.SessionToken.slice(0, -2)}${last}${c.SessionToken.at(-1)}` };
    assert.equal((await rejection(() => sdk(tampered).send(new DescribeStreamCommand({ StreamName: 'cam-17' })))).name, 'UnrecognizedClientException');
    const otherKeyId = { ...c, AccessKeyId: 'ASIAAAAAAAAAAAAAAAAA' };
    assert.equal((await rejection(() => sdk(otherKeyId).send(new DescribeStreamCommand({ StreamName: 'cam-17' })))).name, 'UnrecognizedClientException');
  });

  it('another node that shares only the secret verifies them', async () => {
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    const other = await startTestServer({ credentialsFile, sessionSecret: SECRET, dataDir: t.dataDir.replace(/$/, '-other') });
    const stranger = await startTestServer({ credentialsFile, sessionSecret: 'cd'.repeat(32) });
    try {
      const creds = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      await other.control(ADMIN).send(new CreateStreamCommand({ StreamName: 'cam-17' }));
      assert.equal((await other.control(creds).send(new DescribeStreamCommand({ StreamName: 'cam-17' }))).StreamInfo?.StreamName, 'cam-17');
      assert.equal((await rejection(() => stranger.control(creds).send(new DescribeStreamCommand({ StreamName: 'cam-17' })))).name, 'UnrecognizedClientException');
    } finally {
      await other.dispose();
      await stranger.dispose();
    }
  });

  it('expired credentials get ExpiredTokenException (403)', async () => {
    const c = await issueInThePast(13, 12 * 3600);
    assert.ok(Date.parse(c.Expiration) < Date.now() - 3500_000, c.Expiration);
    const err = await rejection(() => sdk(c).send(new DescribeStreamCommand({ StreamName: 'cam-17' })));
    assert.deepEqual([err.name, err.$metadata?.httpStatusCode, err.message], ['ExpiredTokenException', 403, 'The security token included in the request is expired']);
  });

  it('boto3 uses them unchanged, and sees expiry', { skip: skipUnlessPresent(PYTHON, 'boto3 (apt-get install -y python3-boto3)') }, async () => {
    const script = String.raw`
import boto3, json, sys
from botocore.config import Config
c = json.loads(sys.argv[2])
kv = boto3.client('kinesisvideo', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=c['AccessKeyId'],
                  aws_secret_access_key=c['SecretAccessKey'], aws_session_token=c['SessionToken'], config=Config(retries={'max_attempts': 1}))
out = {}
for name in ['cam-17', 'cam-18']:
    try:
        out[name] = kv.describe_stream(StreamName=name)['StreamInfo']['StreamName']
    except kv.exceptions.ClientError as e:
        out[name] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps(out))
`;
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    const { stdout } = await run(PYTHON!, ['-c', script, t.url, JSON.stringify(c)]);
    assert.deepEqual(JSON.parse(stdout), { 'cam-17': 'cam-17', 'cam-18': ['AccessDeniedException', 403] });
    const old = await issueInThePast(13, 12 * 3600);
    const expired = await run(PYTHON!, ['-c', script, t.url, JSON.stringify(old)]);
    assert.deepEqual(JSON.parse(expired.stdout)['cam-17'], ['ExpiredTokenException', 403]);
  });

  it('the AWS CLI uses them through AWS_SESSION_TOKEN and through credential_process', { skip: skipUnlessPresent(AWS_CLI, 'the AWS CLI (apt-get install -y awscli)') }, async () => {
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    const env = { ...isolatedAwsEnv({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey }), AWS_SESSION_TOKEN: c.SessionToken, AWS_DEFAULT_REGION: 'us-east-1' };
    const described = await run(AWS_CLI!, ['kinesisvideo', 'describe-stream', '--stream-name', 'cam-17', '--endpoint-url', t.url], { env });
    assert.equal((JSON.parse(described.stdout) as { StreamInfo: { StreamName: string } }).StreamInfo.StreamName, 'cam-17');
    const refused = await run(AWS_CLI!, ['kinesisvideo', 'describe-stream', '--stream-name', 'cam-18', '--endpoint-url', t.url], { env }).catch((e: { stderr: string }) => e);
    assert.match((refused as { stderr: string }).stderr, /AccessDeniedException/);

    // A device's ~/.aws/config runs the issuing command itself; its own key is in its environment.
    const config = path.join(dir, 'aws-config');
    const command = [process.execPath, OPENKVS_CLI, 'credentials', 'issue', '--endpoint', t.url, '--policy', path.join(dir, 'camera.json'), '--name', 'cam-17', '--json'].join(' ');
    await writeFile(config, `[profile camera]\ncredential_process = ${command}\nregion = us-east-1\n`);
    const viaProcess = await run(AWS_CLI!, ['kinesisvideo', 'describe-stream', '--profile', 'camera', '--stream-name', 'cam-17', '--endpoint-url', t.url], {
      env: { ...isolatedAwsEnv(FLEET), AWS_CONFIG_FILE: config },
    });
    assert.equal((JSON.parse(viaProcess.stdout) as { StreamInfo: { StreamName: string } }).StreamInfo.StreamName, 'cam-17');
  });

  it('removing the issuer from the file and reloading revokes what it issued', async () => {
    const c = await issue(['--policy', path.join(dir, 'camera.json'), '--name', 'cam-17']);
    await sdk(c).send(new DescribeStreamCommand({ StreamName: 'cam-17' }));
    await writeCredentials([{ name: 'admin', key: ADMIN }]);
    try {
      assert.deepEqual(t.server.reloadCredentials().removed, [FLEET.accessKeyId]);
      assert.equal((await rejection(() => sdk(c).send(new DescribeStreamCommand({ StreamName: 'cam-17' })))).name, 'UnrecognizedClientException');
      assert.equal((await rejection(() => t.control(FLEET).send(new DescribeStreamCommand({ StreamName: 'cam-17' })))).name, 'UnrecognizedClientException');
    } finally {
      await writeCredentials([{ name: 'admin', key: ADMIN }, { name: 'fleet', key: FLEET, policy: 'fleet.json' }]);
      t.server.reloadCredentials();
    }
  });
});
