import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { loadCredentialsFile } from '../../../src/http/credentials.js';
import { verifySigV4 } from '../../../src/http/sigv4.js';
import { IssuedCredentialKeys } from '../../../src/access/issued-credentials.js';
import { KeyStore } from '../../../src/access/key-store.js';
import { systemClock } from '../../../src/util/clock.js';

let dir = '';
let counter = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'openkvs-credentials-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function fileWith(text: string): string {
  const path = join(dir, `credentials-${counter++}`);
  writeFileSync(path, text);
  return path;
}

describe('loadCredentialsFile', () => {
  it('reads every section, with comments, blank lines, spacing and CRLF', () => {
    const path = fileWith(
      [
        '# the server accepts these',
        '[default]',
        'aws_access_key_id=AKIDDEFAULT',
        'aws_secret_access_key   =   secret/with+chars=',
        '',
        '; a temporary one',
        '[profile camera-1]',
        '  aws_access_key_id = ASIACAMERA1  ',
        '\taws_secret_access_key\t=\tcamerasecret',
        'aws_session_token = FwoGZXIvYXdz/token==',
        'region = us-west-2',
      ].join('\r\n'),
    );
    const credentials = loadCredentialsFile(path);
    assert.deepEqual(credentials, [
      { accessKeyId: 'AKIDDEFAULT', name: 'default', secretAccessKey: 'secret/with+chars=' },
      { accessKeyId: 'ASIACAMERA1', name: 'profile camera-1', secretAccessKey: 'camerasecret', sessionToken: 'FwoGZXIvYXdz/token==' },
    ]);
  });

  it('names the file and section when a section lacks a key', () => {
    const path = fileWith('[ok]\naws_access_key_id=A\naws_secret_access_key=B\n\n[broken]\naws_access_key_id=C\n');
    assert.throws(
      () => loadCredentialsFile(path),
      (error: unknown) =>
        error instanceof Error &&
        error.message.includes(path) &&
        /section \[broken\] \(line 5\) is missing aws_secret_access_key$/.test(error.message),
    );
    const noId = fileWith('[nokey]\naws_secret_access_key=B\n');
    assert.throws(() => loadCredentialsFile(noId), /section \[nokey\] \(line 1\) is missing aws_access_key_id$/);
  });

  it('refuses a file with no credentials', () => {
    assert.throws(() => loadCredentialsFile(fileWith('')), /no credentials found/);
    assert.throws(() => loadCredentialsFile(fileWith('# nothing here\n; really\n\n')), /no credentials found/);
  });

  it('names the line of a setting outside any section or a line that is not a setting', () => {
    assert.throws(() => loadCredentialsFile(fileWith('# c\naws_access_key_id=A\n')), /:2: setting outside of any \[section\]/);
    assert.throws(() => loadCredentialsFile(fileWith('[a]\naws_access_key_id=A\njunk\n')), /:3: expected 'name = value'/);
  });

  it('reads policy = FILE relative to the credentials file', () => {
    writeFileSync(join(dir, 'camera.json'), JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:PutMedia', Resource: '*' }] }));
    const [entry] = loadCredentialsFile(fileWith('[camera-1]\naws_access_key_id=A\naws_secret_access_key=S\npolicy = camera.json\n'));
    assert.equal(entry?.policy?.statements[0]?.actions[0], 'kinesisvideo:PutMedia');
  });

  it('names the file, the key and the statement of a bad policy', () => {
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'kinesisvideo:*', Resource: '*' }, { Sid: 'Cam', Effect: 'Allow', Action: 'kinesisvideo:PutMedai', Resource: '*' }] }));
    const path = fileWith('[ok]\naws_access_key_id=A\naws_secret_access_key=S\n[camera-2]\naws_access_key_id=B\naws_secret_access_key=S\npolicy=typo.json\n');
    assert.throws(
      () => loadCredentialsFile(path),
      (error: unknown) =>
        error instanceof Error &&
        error.message.startsWith(path) &&
        /section \[camera-2\] \(line 4\) policy typo\.json: statement 2 \(Sid "Cam"\): unknown action "kinesisvideo:PutMedai"/.test(error.message),
    );
    assert.throws(() => loadCredentialsFile(fileWith('[c]\naws_access_key_id=A\naws_secret_access_key=S\npolicy=missing.json\n')), /section \[c\].*policy missing\.json: cannot read .*ENOENT/);
    writeFileSync(join(dir, 'broken.json'), '{"Statement": [');
    assert.throws(() => loadCredentialsFile(fileWith('[c]\naws_access_key_id=A\naws_secret_access_key=S\npolicy=broken.json\n')), /policy broken\.json: not valid JSON/);
  });

  it('refuses one access key with two different secrets', () => {
    const path = fileWith('[a]\naws_access_key_id=A\naws_secret_access_key=1\n[b]\naws_access_key_id=A\naws_secret_access_key=2\n');
    assert.throws(() => loadCredentialsFile(path), /section \[b\].*repeats access key A/);
  });
});

const lookupOf = (path: string) => {
  const keys = new KeyStore(loadCredentialsFile(path), new IssuedCredentialKeys(Buffer.alloc(32, 7)), systemClock);
  return (accessKeyId: string, token: string | undefined) => keys.lookup(accessKeyId, token);
};

describe('KeyStore lookup of the file', () => {
  it('finds entries by access key id', () => {
    const lookup = lookupOf(fileWith('[a]\naws_access_key_id=A\naws_secret_access_key=S\n'));
    assert.deepEqual(lookup('A', undefined), { secretAccessKey: 'S', principal: { accessKeyId: 'A', name: 'a', policies: undefined } });
    assert.equal(lookup('B', undefined), undefined);
  });

  it('verifies a request signed with a key from the file', async () => {
    const path = fileWith('[camera]\naws_access_key_id = AKIDCAMERA\naws_secret_access_key = c4m3r4/s3cr3t\n');
    const signer = new SignatureV4({
      service: 'kinesisvideo',
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDCAMERA', secretAccessKey: 'c4m3r4/s3cr3t' },
      sha256: Hash.bind(null, 'sha256'),
    });
    const now = Date.UTC(2026, 5, 1);
    const signed = await signer.sign(
      { method: 'POST', protocol: 'https:', hostname: 'localhost', path: '/describeStream', headers: { host: 'localhost:8080' }, body: '{}' },
      { signingDate: new Date(now) },
    );
    const headers = Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const identity = verifySigV4(
      { method: 'POST', rawPath: '/describeStream', rawQuery: '', headers, bodySha256: '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a' },
      lookupOf(path),
      now,
    );
    assert.deepEqual(identity, { accessKeyId: 'AKIDCAMERA', region: 'eu-west-1' });
  });
});
