import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IssuedCredentialKeys } from '../../../src/access/issued-credentials.js';
import { KeyStore, type KeyEntry } from '../../../src/access/key-store.js';
import { parsePolicy } from '../../../src/access/policy.js';
import { decisionFor } from '../../../src/access/principal.js';
import { ExpiredTokenException } from '../../../src/domain/errors.js';

const ARN = (name: string) => `arn:aws:kinesisvideo:us-east-1:000000000000:stream/${name}/1700000000000`;
const policy = (resource: string, action = 'kinesisvideo:*') =>
  parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: action, Resource: resource } }), 'test');
const fleet = (resource = 'arn:aws:kinesisvideo:*:*:stream/cam-*/*'): KeyEntry => ({ accessKeyId: 'AKIDFLEET', name: 'fleet', secretAccessKey: 's', policy: policy(resource) });
const SECRET = Buffer.alloc(32, 1);

describe('KeyStore', () => {
  it('issued credentials: found by their token alone, with their policy AND the issuer’s; expired ones refused', () => {
    let now = 1_000_000;
    const keys = new KeyStore([fleet()], new IssuedCredentialKeys(SECRET), { nowMs: () => now });
    const issued = keys.issue(keys.lookup('AKIDFLEET', undefined)!.principal, JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: '*' } }), 3600_000, 'cam-1');
    const found = keys.lookup(issued.accessKeyId, issued.sessionToken)!;
    assert.equal(found.secretAccessKey, issued.secretAccessKey);
    assert.equal(decisionFor(found.principal, 'kinesisvideo:PutMedia', ARN('cam-1')), 'allow');
    assert.equal(decisionFor(found.principal, 'kinesisvideo:PutMedia', ARN('lobby')), 'implicit-deny');
    // Another node with the same secret recomputes the same secret key.
    const other = new KeyStore([fleet()], new IssuedCredentialKeys(SECRET), { nowMs: () => now });
    assert.equal(other.lookup(issued.accessKeyId, issued.sessionToken)?.secretAccessKey, issued.secretAccessKey);
    assert.equal(new KeyStore([fleet()], new IssuedCredentialKeys(Buffer.alloc(32, 2)), { nowMs: () => now }).lookup(issued.accessKeyId, issued.sessionToken), undefined);
    assert.equal(keys.lookup('ASIAOTHERKEYID000000', issued.sessionToken), undefined);
    now += 3600_000;
    assert.throws(() => keys.lookup(issued.accessKeyId, issued.sessionToken), ExpiredTokenException);
  });

  it('a reload ends the watches whose caller lost the right, and only those', () => {
    const keys = new KeyStore([fleet(), { accessKeyId: 'AKIDOTHER', name: 'other', secretAccessKey: 'o' }], new IssuedCredentialKeys(SECRET), { nowMs: () => 0 });
    const fleetKey = keys.lookup('AKIDFLEET', undefined)!.principal;
    const otherKey = keys.lookup('AKIDOTHER', undefined)!.principal;
    const issued = keys.issue(fleetKey, JSON.stringify({ Statement: { Effect: 'Allow', Action: 'kinesisvideo:PutMedia', Resource: '*' } }), 3600_000, 'x');
    const issuedKey = keys.lookup(issued.accessKeyId, issued.sessionToken)!.principal;
    const revoked: string[] = [];
    keys.watch(fleetKey, 'kinesisvideo:PutMedia', ARN('cam-1'), () => revoked.push('fleet cam-1'));
    keys.watch(fleetKey, 'kinesisvideo:PutMedia', ARN('cam-2'), () => revoked.push('fleet cam-2'));
    keys.watch(issuedKey, 'kinesisvideo:PutMedia', ARN('cam-1'), () => revoked.push('issued cam-1'));
    keys.watch(otherKey, 'kinesisvideo:PutMedia', ARN('cam-1'), () => revoked.push('other cam-1'));
    // The fleet policy narrows to cam-1: its cam-2 session ends; issued credentials follow their issuer.
    assert.deepEqual(keys.replace([fleet('arn:aws:kinesisvideo:*:*:stream/cam-1/*'), { accessKeyId: 'AKIDOTHER', name: 'other', secretAccessKey: 'o' }]), { removed: [], revokedSessions: 1 });
    assert.deepEqual(revoked, ['fleet cam-2']);
    // A changed secret revokes like a removal.
    keys.replace([fleet('arn:aws:kinesisvideo:*:*:stream/cam-1/*'), { accessKeyId: 'AKIDOTHER', name: 'other', secretAccessKey: 'new' }]);
    assert.deepEqual(revoked, ['fleet cam-2', 'other cam-1']);
    // Removing the issuer ends what it issued.
    assert.deepEqual(keys.replace([{ accessKeyId: 'AKIDOTHER', name: 'other', secretAccessKey: 'new' }]).removed, ['AKIDFLEET']);
    assert.deepEqual(revoked.sort(), ['fleet cam-1', 'fleet cam-2', 'issued cam-1', 'other cam-1']);
    assert.equal(keys.lookup(issued.accessKeyId, issued.sessionToken), undefined);
  });
});
