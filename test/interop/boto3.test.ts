import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { skipUnlessPresent } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const run = promisify(execFile);

/** A python3 that can import boto3 (Debian's python3-boto3 or any other). */
const PYTHON = ['/usr/bin/python3', 'python3'].find((py) => spawnSync(py, ['-c', 'import boto3']).status === 0);

// Each probe prints the exception class boto3 raised, or the value it got.
const SCRIPT = String.raw`
import boto3, json, sys
from botocore.config import Config
kv = boto3.client('kinesisvideo', endpoint_url=sys.argv[1], region_name='us-east-1',
                  aws_access_key_id='a', aws_secret_access_key='b', config=Config(retries={'max_attempts': 1}))
out = {}
def probe(name, fn):
    try:
        out[name] = fn()
    except kv.exceptions.ClientError as e:
        out[name] = [type(e).__name__, e.response['ResponseMetadata']['HTTPStatusCode']]
probe('create', lambda: kv.create_stream(StreamName='py', DataRetentionInHours=1)['StreamARN'])
probe('duplicate', lambda: kv.create_stream(StreamName='py'))
probe('missing', lambda: kv.describe_stream(StreamName='missing'))
probe('stale', lambda: kv.update_stream(StreamName='py', CurrentVersion='stale', DeviceName='d'))
probe('pattern', lambda: kv.create_stream(StreamName='bad name'))
probe('no_retention', lambda: kv.update_notification_configuration(StreamName='py2' if kv.create_stream(StreamName='py2') else '',
      NotificationConfiguration={'Status': 'ENABLED', 'DestinationConfig': {'Uri': 'arn:aws:sns:us-east-1:000000000000:t'}}))
info = kv.describe_stream(StreamName='py')['StreamInfo']
out['creation_ms'] = int(info['CreationTime'].timestamp() * 1000)
out['pages'] = [[s['StreamName'] for s in p['StreamInfoList']] for p in kv.get_paginator('list_streams').paginate(PaginationConfig={'PageSize': 1})]
print(json.dumps(out))
`;

describe('boto3 against openkvs', { skip: skipUnlessPresent(PYTHON, 'boto3 (apt-get install -y python3-boto3)') }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t?.dispose());

  test("boto3's modeled exception classes and paginators work", async () => {
    const { stdout } = await run(PYTHON!, ['-c', SCRIPT, t.url]);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.match(out['create'] as string, /stream\/py\/\d+$/);
    assert.deepEqual(out['duplicate'], ['ResourceInUseException', 400]);
    assert.deepEqual(out['missing'], ['ResourceNotFoundException', 404]);
    assert.deepEqual(out['stale'], ['VersionMismatchException', 400]);
    assert.deepEqual(out['pattern'], ['InvalidArgumentException', 400]);
    assert.deepEqual(out['no_retention'], ['NoDataRetentionException', 400]);
    assert.equal(out['creation_ms'], Number((out['create'] as string).split('/').pop()));
    assert.deepEqual(out['pages'], [['py'], ['py2']]);
  });
});
