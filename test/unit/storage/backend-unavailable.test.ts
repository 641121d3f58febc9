import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceUnavailableException } from '../../../src/domain/errors.js';
import { BlobNotFoundError } from '../../../src/storage/blob-store.js';
import {
  connectionSettings,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_QUERY_TIMEOUT_MS,
  isPostgresUnavailable,
} from '../../../src/storage/postgres/connection.js';
import { isS3Unavailable } from '../../../src/storage/s3/s3-errors.js';
import { reportingUnavailability } from '../../../src/storage/unavailable.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(name), { name, $metadata: status === undefined ? { attempts: 3 } : { httpStatusCode: status } });

describe('backend unavailability', () => {
  test('the wrapper turns "unreachable" rejections into ServiceUnavailableException and leaves the rest', async () => {
    class Store {
      calls = 0;
      async down(): Promise<void> {
        this.calls++;
        throw withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED');
      }
      async missing(): Promise<void> {
        throw new BlobNotFoundError('k');
      }
      sync(): number {
        return this.calls;
      }
    }
    const store = reportingUnavailability(new Store(), 'index database', isPostgresUnavailable);
    assert.ok(store instanceof Store);
    await assert.rejects(store.down(), (err: unknown) => {
      assert.ok(err instanceof ServiceUnavailableException);
      assert.equal(err.message, 'The index database is unavailable; try again later.');
      assert.equal((err.cause as { code?: string }).code, 'ECONNREFUSED');
      return true;
    });
    await assert.rejects(store.missing(), BlobNotFoundError);
    assert.equal(store.sync(), 1, 'plain methods pass through, with the adapter as `this`');
  });

  test('PostgreSQL: network errors, connection SQLSTATEs and pg timeouts are outages; query errors are not', () => {
    const outages = [
      withCode('connect ECONNREFUSED', 'ECONNREFUSED'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('sorry, too many clients already', '53300'),
      withCode('could not receive data from client', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('Query read timeout'),
      new Error('timeout exceeded when trying to connect'),
    ];
    for (const err of outages) assert.equal(isPostgresUnavailable(err), true, err.message);
    const notOutages = [
      withCode('duplicate key value violates unique constraint', '23505'),
      withCode('syntax error', '42601'),
      withCode('deadlock detected', '40P01'),
      new RangeError('limit must be a non-negative integer'),
      'not an error',
    ];
    for (const err of notOutages) assert.equal(isPostgresUnavailable(err), false, String(err));
  });

  test('S3: 5xx answers, timeouts and network errors are outages; 4xx answers are not', () => {
    for (const err of [sdkError('InternalError', 500), sdkError('SlowDown', 503), sdkError('TimeoutError'), withCode('socket hang up', 'ECONNRESET')]) {
      assert.equal(isS3Unavailable(err), true, err.name);
    }
    for (const err of [sdkError('NoSuchKey', 404), sdkError('AccessDenied', 403), sdkError('InvalidRange', 416), new BlobNotFoundError('k')]) {
      assert.equal(isS3Unavailable(err), false, err.name);
    }
  });

  test('postgres:// URLs: openkvs takes max, connect_timeout and query_timeout out, with bounded defaults', () => {
    assert.deepEqual(connectionSettings('postgres://u:p@db:5432/kvs'), {
      connectionString: 'postgres://u:p@db:5432/kvs',
      max: undefined,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
    });
    const custom = connectionSettings('postgres://u:p@db/kvs?sslmode=require&max=4&connect_timeout=2&query_timeout=0&statement_timeout=5000');
    assert.deepEqual(custom, {
      connectionString: 'postgres://u:p@db/kvs?sslmode=require&statement_timeout=5000',
      max: 4,
      connectTimeoutMs: 2000,
      queryTimeoutMs: 0,
    });
    assert.throws(() => connectionSettings('postgres://db/kvs?max=0'), /max must be an integer ≥ 1/);
    assert.throws(() => connectionSettings('postgres://db/kvs?query_timeout=soon'), /query_timeout/);
  });
});
