/**
 * Scoped access, table-driven: every implemented operation × {allowed by an exact ARN, allowed by
 * wildcards, denied because nothing allows it, denied by an explicit Deny}, through the AWS SDK
 * for JavaScript v3 (PutMedia, which no AWS SDK has, through openkvs's own signed client).
 */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeImageGenerationConfigurationCommand,
  DescribeNotificationConfigurationCommand,
  DescribeStreamCommand,
  DescribeStreamStorageConfigurationCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  ListTagsForStreamCommand,
  TagResourceCommand,
  TagStreamCommand,
  UntagResourceCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateImageGenerationConfigurationCommand,
  UpdateNotificationConfigurationCommand,
  UpdateStreamCommand,
  UpdateStreamStorageConfigurationCommand,
} from '@aws-sdk/client-kinesis-video';
import {
  GetClipCommand,
  GetImagesCommand,
  GetDASHStreamingSessionURLCommand,
  GetHLSStreamingSessionURLCommand,
  GetMediaForFragmentListCommand,
  KinesisVideoArchivedMediaClient,
  ListFragmentsCommand,
} from '@aws-sdk/client-kinesis-video-archived-media';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { putMedia, type PutMediaHttpError } from '../../src/client/index.js';
import { fixture, readAll } from '../helpers/kvs-readers.js';
import { rejection, startTestServer, type TestServer } from '../helpers/server.js';

type Creds = { accessKeyId: string; secretAccessKey: string };
const key = (id: string): Creds => ({ accessKeyId: id, secretAccessKey: `${id}-secret` });
const ADMIN = key('AKIDADMIN');
const EXACT = key('AKIDEXACT');
const WILD = key('AKIDWILD');
const ABSENT = key('AKIDABSENT');
const DENIED = key('AKIDDENIED');

interface Clients {
  kv: KinesisVideoClient;
  archived: KinesisVideoArchivedMediaClient;
  media: KinesisVideoMediaClient;
  creds: Creds;
}

/** What a row's call works on; `stream` is `tgt` except for rows that change it for good. */
interface Target {
  stream: string;
  arn: string;
  fragment: string;
  version: () => Promise<string>;
}

interface Row {
  operation: string;
  /** The error a denial gets: NotAuthorizedException on the data plane, AccessDeniedException on the control plane (src/access/denied.ts). */
  error: 'NotAuthorizedException' | 'AccessDeniedException';
  /** The stream the row acts on, per scenario (DeleteStream and CreateStream need their own). */
  stream?: (scenario: string) => string;
  call: (c: Clients, t: Target) => Promise<unknown>;
}

/** The last hour, up to now (SERVER_TIMESTAMP ranges must end in the past and span at most 24 h). */
const anyTime = () => ({ StartTimestamp: new Date(Date.now() - 3_600_000), EndTimestamp: new Date(Date.now() - 1) });
const drain = async (payload: unknown) => void (await readAll(payload));

const ROWS: Row[] = [
  { operation: 'CreateStream', error: 'AccessDeniedException', stream: (s) => `tgt-new-${s}`, call: (c, t) => c.kv.send(new CreateStreamCommand({ StreamName: t.stream })) },
  { operation: 'DescribeStream', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new DescribeStreamCommand({ StreamName: t.stream })) },
  { operation: 'ListStreams', error: 'AccessDeniedException', call: (c) => c.kv.send(new ListStreamsCommand({})) },
  { operation: 'GetDataEndpoint', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new GetDataEndpointCommand({ StreamName: t.stream, APIName: 'GET_MEDIA' })) },
  { operation: 'UpdateStream', error: 'AccessDeniedException', call: async (c, t) => c.kv.send(new UpdateStreamCommand({ StreamName: t.stream, CurrentVersion: await t.version(), DeviceName: 'd' })) },
  {
    operation: 'UpdateDataRetention',
    error: 'AccessDeniedException',
    call: async (c, t) => c.kv.send(new UpdateDataRetentionCommand({ StreamARN: t.arn, CurrentVersion: await t.version(), Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 })),
  },
  { operation: 'TagStream', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new TagStreamCommand({ StreamName: t.stream, Tags: { k: 'v' } })) },
  { operation: 'UntagStream', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new UntagStreamCommand({ StreamName: t.stream, TagKeyList: ['k'] })) },
  { operation: 'ListTagsForStream', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new ListTagsForStreamCommand({ StreamName: t.stream })) },
  { operation: 'TagResource', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new TagResourceCommand({ ResourceARN: t.arn, Tags: [{ Key: 'k', Value: 'v' }] })) },
  { operation: 'UntagResource', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new UntagResourceCommand({ ResourceARN: t.arn, TagKeyList: ['k'] })) },
  { operation: 'ListTagsForResource', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new ListTagsForResourceCommand({ ResourceARN: t.arn })) },
  { operation: 'DescribeStreamStorageConfiguration', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new DescribeStreamStorageConfigurationCommand({ StreamName: t.stream })) },
  {
    operation: 'UpdateStreamStorageConfiguration',
    error: 'AccessDeniedException',
    call: async (c, t) => c.kv.send(new UpdateStreamStorageConfigurationCommand({ StreamName: t.stream, CurrentVersion: await t.version(), StreamStorageConfiguration: { DefaultStorageTier: 'HOT' } })),
  },
  { operation: 'DescribeImageGenerationConfiguration', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new DescribeImageGenerationConfigurationCommand({ StreamName: t.stream })) },
  { operation: 'UpdateImageGenerationConfiguration', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new UpdateImageGenerationConfigurationCommand({ StreamName: t.stream })) },
  { operation: 'DescribeNotificationConfiguration', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new DescribeNotificationConfigurationCommand({ StreamName: t.stream })) },
  { operation: 'UpdateNotificationConfiguration', error: 'AccessDeniedException', call: (c, t) => c.kv.send(new UpdateNotificationConfigurationCommand({ StreamName: t.stream })) },
  { operation: 'ListFragments', error: 'NotAuthorizedException', call: (c, t) => c.archived.send(new ListFragmentsCommand({ StreamName: t.stream })) },
  {
    operation: 'GetClip',
    error: 'NotAuthorizedException',
    call: async (c, t) => drain((await c.archived.send(new GetClipCommand({ StreamName: t.stream, ClipFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: anyTime() } }))).Payload),
  },
  {
    operation: 'GetImages',
    error: 'NotAuthorizedException',
    call: (c, t) => {
      const { StartTimestamp, EndTimestamp } = anyTime();
      return c.archived.send(
        new GetImagesCommand({ StreamName: t.stream, ImageSelectorType: 'SERVER_TIMESTAMP', StartTimestamp, EndTimestamp: new Date(Math.min(EndTimestamp.getTime(), StartTimestamp.getTime() + 300_000)), Format: 'JPEG' }),
      );
    },
  },
  {
    operation: 'GetMediaForFragmentList',
    error: 'NotAuthorizedException',
    call: async (c, t) => drain((await c.archived.send(new GetMediaForFragmentListCommand({ StreamName: t.stream, Fragments: [t.fragment] }))).Payload),
  },
  {
    operation: 'GetMedia',
    error: 'NotAuthorizedException',
    // A live read never ends by itself: the answer's headers are enough.
    call: async (c, t) => ((await c.media.send(new GetMediaCommand({ StreamName: t.stream, StartSelector: { StartSelectorType: 'EARLIEST' } }))).Payload as Readable).destroy(),
  },
  {
    operation: 'GetHLSStreamingSessionURL',
    error: 'NotAuthorizedException',
    call: async (c, t) => {
      const { HLSStreamingSessionURL: url } = await c.archived.send(
        new GetHLSStreamingSessionURLCommand({ StreamName: t.stream, PlaybackMode: 'ON_DEMAND', HLSFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: anyTime() } }),
      );
      const res = await fetch(url!);
      assert.equal(res.status, 200, 'the session URL plays');
      await res.text();
    },
  },
  {
    operation: 'GetDASHStreamingSessionURL',
    error: 'NotAuthorizedException',
    call: async (c, t) => {
      const { DASHStreamingSessionURL: url } = await c.archived.send(
        new GetDASHStreamingSessionURLCommand({ StreamName: t.stream, PlaybackMode: 'ON_DEMAND', DASHFragmentSelector: { FragmentSelectorType: 'SERVER_TIMESTAMP', TimestampRange: anyTime() } }),
      );
      const res = await fetch(url!);
      assert.equal(res.status, 200, 'the session URL plays');
      await res.text();
    },
  },
  {
    operation: 'PutMedia',
    error: 'NotAuthorizedException',
    call: async (c, t) => {
      const session = putMedia({ endpoint: serverUrl, streamName: t.stream, body: createReadStream(fixture('h264.mkv')), timecodeType: 'RELATIVE', credentials: c.creds, region: 'us-east-1' });
      for await (const ack of session) void ack;
      const summary = await session.done;
      assert.ok(summary.fragments.persisted > 0 && summary.errors.length === 0, JSON.stringify(summary));
    },
  },
  // Last: the allowed scenarios delete their own streams.
  { operation: 'DeleteStream', error: 'AccessDeniedException', stream: (s) => `tgt-del-${s}`, call: (c, t) => c.kv.send(new DeleteStreamCommand({ StreamARN: t.arn })) },
];

let serverUrl = '';

describe('every operation × allowed / allowed by wildcard / denied by absence / denied explicitly', () => {
  let t: TestServer;
  let dir: string;
  let credentialsFile: string;
  const arns = new Map<string, string>();
  let fragment = '';
  const clientsOf = (creds: Creds): Clients => {
    const config = { endpoint: t.url, region: 'us-east-1', credentials: creds, maxAttempts: 1 };
    return { kv: t.control(creds), archived: new KinesisVideoArchivedMediaClient(config), media: new KinesisVideoMediaClient(config), creds };
  };

  const ACTIONS = ROWS.map((r) => `kinesisvideo:${r.operation}`);
  const streamPattern = 'arn:aws:kinesisvideo:*:*:stream/tgt*/*';
  const policies = (exactArns: string[]) => ({
    // Each operation's action named on the exact ARNs (and CreateStream on the name it creates);
    // ListStreams has no resource but "*".
    'exact.json': {
      Version: '2012-10-17',
      Statement: [
        { Sid: 'Exact', Effect: 'Allow', Action: ACTIONS, Resource: [...exactArns, 'arn:aws:kinesisvideo:us-east-1:000000000000:stream/tgt-new-exact/*'] },
        { Sid: 'List', Effect: 'Allow', Action: 'kinesisvideo:ListStreams', Resource: '*' },
      ],
    },
    'wild.json': {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['kinesisvideo:*'], Resource: streamPattern },
        { Effect: 'Allow', Action: ['kinesisvideo:List*'], Resource: '*' },
      ],
    },
    // Everything, but on other streams only.
    'absent.json': { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: 'arn:aws:kinesisvideo:*:*:stream/elsewhere-*/*' }] },
    // Everything everywhere, except each action by name on the target streams (and listing).
    'denied.json': {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Sid: 'NotTheTargets', Effect: 'Deny', Action: ACTIONS, Resource: [streamPattern, '*'] },
      ],
    },
  });
  const writePolicies = async (exactArns: string[]) => {
    for (const [name, doc] of Object.entries(policies(exactArns))) await writeFile(path.join(dir, name), JSON.stringify(doc));
  };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-access-'));
    credentialsFile = path.join(dir, 'credentials');
    const section = (name: string, c: Creds, policy?: string) =>
      `[${name}]\naws_access_key_id = ${c.accessKeyId}\naws_secret_access_key = ${c.secretAccessKey}\n${policy ? `policy = ${policy}\n` : ''}`;
    await writeFile(
      credentialsFile,
      [section('admin', ADMIN), section('exact', EXACT, 'exact.json'), section('wild', WILD, 'wild.json'), section('absent', ABSENT, 'absent.json'), section('denied', DENIED, 'denied.json')].join('\n'),
    );
    await writePolicies([]);
    t = await startTestServer({ credentialsFile });
    serverUrl = t.url;
    const admin = clientsOf(ADMIN);
    for (const name of ['tgt', 'tgt-del-exact', 'tgt-del-wild', 'tgt-del-absent', 'tgt-del-denied']) {
      arns.set(name, (await admin.kv.send(new CreateStreamCommand({ StreamName: name, DataRetentionInHours: 24 }))).StreamARN!);
    }
    await ROWS.find((r) => r.operation === 'PutMedia')!.call(admin, { stream: 'tgt', arn: '', fragment: '', version: async () => '' });
    fragment = (await admin.archived.send(new ListFragmentsCommand({ StreamName: 'tgt' }))).Fragments![0]!.FragmentNumber!;
    // The exact ARNs exist only now: the policy is rewritten and the file reloaded (as SIGHUP does).
    await writePolicies([arns.get('tgt')!, arns.get('tgt-del-exact')!]);
    t.server.reloadCredentials();
  });
  after(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const target = (row: Row, scenario: string): Target => {
    const stream = row.stream?.(scenario) ?? 'tgt';
    const arn = arns.get(stream) ?? `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${stream}/1`;
    const admin = t.control(ADMIN);
    return { stream, arn, fragment, version: async () => (await admin.send(new DescribeStreamCommand({ StreamName: stream }))).StreamInfo!.Version! };
  };

  for (const [scenario, creds] of [['absent', ABSENT], ['denied', DENIED]] as const) {
    for (const row of ROWS) {
      it(`${row.operation}: denied ${scenario === 'absent' ? 'when no statement allows it' : 'by an explicit Deny'}`, async () => {
        const tgt = target(row, scenario);
        const err = (await rejection(() => row.call(clientsOf(creds), tgt))) as Error & { $metadata?: { httpStatusCode?: number } } & Partial<PutMediaHttpError>;
        // openkvs's PutMedia client reports the same three things under its own names.
        const put = row.operation === 'PutMedia';
        const [name, status, message] = put ? [err.errorType, err.statusCode, err.serviceMessage ?? ''] : [err.name, err.$metadata?.httpStatusCode, err.message];
        assert.equal(name, row.error, err.message);
        assert.equal(status, 403);
        const resource = row.operation === 'ListStreams' ? '*' : row.operation === 'CreateStream' ? `stream/${tgt.stream}/*` : arns.get(tgt.stream)!;
        assert.ok(message.includes(`is not authorized to perform: kinesisvideo:${row.operation} on resource: `) && message.includes(resource), message);
        assert.match(message, new RegExp(`^User: arn:aws:iam::000000000000:user/${scenario} `));
      });
    }
  }

  for (const [scenario, creds] of [['exact', EXACT], ['wild', WILD]] as const) {
    for (const row of ROWS) {
      it(`${row.operation}: allowed ${scenario === 'exact' ? 'by its action on the exact ARN' : 'by kinesisvideo:* on stream/tgt*/*'}`, async () => {
        await row.call(clientsOf(creds), target(row, scenario));
      });
    }
  }

  it('a denied CreateStream created nothing, a denied DeleteStream deleted nothing', async () => {
    const names = (await t.control(ADMIN).send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName);
    assert.ok(!names.includes('tgt-new-absent') && !names.includes('tgt-new-denied'));
    assert.ok(names.includes('tgt-del-absent') && names.includes('tgt-del-denied'));
    assert.ok(names.includes('tgt-new-exact') && names.includes('tgt-new-wild') && !names.includes('tgt-del-exact'));
  });

  it('a key that may not touch a stream cannot learn whether it exists', async () => {
    const err = await rejection(() => clientsOf(ABSENT).kv.send(new DescribeStreamCommand({ StreamName: 'tgt-never-created' })));
    assert.equal(err.name, 'AccessDeniedException');
    const allowed = await rejection(() => clientsOf(WILD).kv.send(new DescribeStreamCommand({ StreamName: 'tgt-never-created' })));
    assert.equal(allowed.name, 'ResourceNotFoundException');
  });
});

describe('ListStreams is not resource-scoped', () => {
  let t: TestServer;
  let dir: string;
  const VIEWER = key('AKIDVIEWER');
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openkvs-access-list-'));
    // The viewer of the README: read cam-* streams, list the account's streams.
    await writeFile(
      path.join(dir, 'viewer.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['kinesisvideo:Describe*', 'kinesisvideo:Get*', 'kinesisvideo:ListFragments'], Resource: 'arn:aws:kinesisvideo:*:*:stream/cam-*/*' },
          { Effect: 'Allow', Action: 'kinesisvideo:ListStreams', Resource: '*' },
        ],
      }),
    );
    const file = path.join(dir, 'credentials');
    await writeFile(file, `[admin]\naws_access_key_id=${ADMIN.accessKeyId}\naws_secret_access_key=${ADMIN.secretAccessKey}\n[viewer]\naws_access_key_id=${VIEWER.accessKeyId}\naws_secret_access_key=${VIEWER.secretAccessKey}\npolicy=viewer.json\n`);
    t = await startTestServer({ credentialsFile: file });
    for (const name of ['cam-1', 'lobby']) await t.control(ADMIN).send(new CreateStreamCommand({ StreamName: name }));
  });
  after(async () => {
    await t?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('a key allowed to list sees every stream, including ones it may not describe (as AWS answers)', async () => {
    const viewer = t.control(VIEWER);
    const listed = (await viewer.send(new ListStreamsCommand({}))).StreamInfoList!.map((s) => s.StreamName);
    assert.deepEqual(listed, ['cam-1', 'lobby']);
    await viewer.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
    assert.equal((await rejection(() => viewer.send(new DescribeStreamCommand({ StreamName: 'lobby' })))).name, 'AccessDeniedException');
    // A stream created later is covered by the wildcard at once.
    await t.control(ADMIN).send(new CreateStreamCommand({ StreamName: 'cam-2' }));
    await viewer.send(new DescribeStreamCommand({ StreamName: 'cam-2' }));
    assert.equal((await rejection(() => viewer.send(new CreateStreamCommand({ StreamName: 'cam-3' })))).name, 'AccessDeniedException');
  });
});

describe('a bad policy stops the server at start', () => {
  it('names the credentials file, the key and the statement', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'openkvs-access-bad-'));
    try {
      await writeFile(path.join(dir, 'cam.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Write', Effect: 'Allow', Action: 'kinesisvideo:PutMedai', Resource: '*' }] }));
      const file = path.join(dir, 'credentials');
      await writeFile(file, `[camera-9]\naws_access_key_id=AKIDCAM9\naws_secret_access_key=s\npolicy=cam.json\n`);
      await assert.rejects(
        () => startTestServer({ credentialsFile: file, dataDir: path.join(dir, 'data') }),
        (err: Error) => err.message === `--credentials: ${file}: section [camera-9] (line 1) policy cam.json: statement 1 (Sid "Write"): unknown action "kinesisvideo:PutMedai" (Kinesis Video Streams has no action "PutMedai")`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
