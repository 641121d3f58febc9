import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { IndexStore } from '../../src/storage/index-store.js';
import { PostgresIndexStore } from '../../src/storage/postgres/postgres-index-store.js';
import { LATEST_SCHEMA_VERSION } from '../../src/storage/sqlite/migrations.js';
import { indexStoreContract, newStream, sampleFragment } from './index-store.contract.js';
import { postgresUnavailable, startPostgres, type PostgresServer } from '../helpers/postgres.js';

const skip = postgresUnavailable();

describe('PostgreSQL index', { skip }, () => {
  let server: PostgresServer;
  before(async () => {
    server = await startPostgres();
  });
  after(async () => {
    await server?.stop();
  });

  // Every test gets a database of its own; restart = a new pool (a node restart).
  indexStoreContract('PostgresIndexStore', async () => {
    const url = await server.createDatabase();
    let current: IndexStore = await PostgresIndexStore.open(url);
    return {
      store: current,
      reopen: async () => {
        await current.close();
        current = await PostgresIndexStore.open(url);
        return current;
      },
      cleanup: async () => {
        await current.close();
      },
    };
  });

  postgresOnlyTests(() => server);
});

function postgresOnlyTests(server: () => PostgresServer): void {
  test('nodes starting at once migrate the schema once', async () => {
    const url = await server().createDatabase();
    const stores = await Promise.all(Array.from({ length: 5 }, () => PostgresIndexStore.open(url)));
    try {
      const rows = await queryAt(url, 'SELECT version FROM schema_version ORDER BY version');
      assert.deepEqual(rows.map((r) => r['version']), Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
      const created = await stores[0]!.createStream(newStream('one'), {});
      assert.deepEqual(await stores[4]!.getStreamByName('one'), created);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  test('two nodes reserving fragment numbers at once never overlap', async () => {
    const url = await server().createDatabase();
    const nodes = await Promise.all([PostgresIndexStore.open(url), PostgresIndexStore.open(url)]);
    try {
      const starts = await Promise.all(
        Array.from({ length: 40 }, (_, i) => nodes[i % 2]!.reserveFragmentSequence(1000)),
      );
      const sorted = [...starts].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      for (let i = 1; i < sorted.length; i++) assert.ok(sorted[i]! >= sorted[i - 1]! + 1000n);
    } finally {
      await Promise.all(nodes.map((s) => s.close()));
    }
  });

  test('nodes claiming a periodic task at once: exactly one takes each round', async () => {
    const url = await server().createDatabase();
    const nodes = await Promise.all(Array.from({ length: 4 }, () => PostgresIndexStore.open(url)));
    // Eight asks at once, two per node (two pooled connections each).
    const askAll = (task: string, everyMs: number) => Promise.all(nodes.flatMap((node) => [node.claimPeriodicTask(task, everyMs), node.claimPeriodicTask(task, everyMs)]));
    try {
      // A period far longer than the eight asks take even on a loaded machine: with 50 ms, a late
      // ask once found the task due again and rightly took it (a second winner in one round).
      for (let round = 0; round < 3; round++) {
        // A task never taken: one insert wins, the others find its row.
        const first = await askAll(`sweep-${round}`, 1_000);
        assert.equal(first.filter(Boolean).length, 1, `round ${round}, first turn: ${JSON.stringify(first)}`);
        // Due again: one update wins, the others re-check against the row it wrote.
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        const next = await askAll(`sweep-${round}`, 1_000);
        assert.equal(next.filter(Boolean).length, 1, `round ${round}, next turn: ${JSON.stringify(next)}`);
      }
    } finally {
      await Promise.all(nodes.map((s) => s.close()));
    }
  });

  test('a stream deleted by one node while another commits its fragments: no orphan rows, no error', async () => {
    const url = await server().createDatabase();
    const [a, b] = await Promise.all([PostgresIndexStore.open(url), PostgresIndexStore.open(url)]);
    try {
      const headerId = await a.putTrackHeader('sha256:h', Uint8Array.from([1]));
      for (let round = 0; round < 20; round++) {
        const stream = await a.createStream(newStream(`race-${round}`), {});
        assert.ok(stream);
        const [committed, deleted] = await Promise.all([
          b.commitFragments([sampleFragment(stream.streamId, headerId, round * 2 + 1), sampleFragment(stream.streamId, headerId, round * 2 + 2)]),
          a.deleteStream(stream.streamId, 'v1'),
        ]);
        assert.equal(deleted, true);
        assert.equal(committed[0], committed[1]);
        assert.deepEqual(await a.listFragments(stream.streamId, { limit: 10 }), []);
      }
      assert.deepEqual(await queryAt(url, 'SELECT count(*)::int AS n FROM fragments'), [{ n: 0 }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('a search_path in the URL keeps the tables in that schema, so deployments can share a database', async () => {
    const url = await server().createDatabase();
    await queryAt(url, 'CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
    const inSchema = (schema: string) => `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}&max=2`;
    const [a, b] = await Promise.all([PostgresIndexStore.open(inSchema('tenant_a')), PostgresIndexStore.open(inSchema('tenant_b'))]);
    try {
      await a.createStream(newStream('only-in-a'), {});
      assert.equal(await b.getStreamByName('only-in-a'), undefined);
      assert.deepEqual(await queryAt(url, 'SELECT name FROM tenant_a.streams'), [{ name: 'only-in-a' }]);
      assert.deepEqual(await queryAt(url, "SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'"), [{ n: 0 }]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test('an unreachable database fails open with the URL, password redacted', async () => {
    const dead = 'postgres://openkvs:secret-pw@127.0.0.1:1/none';
    await assert.rejects(PostgresIndexStore.open(dead), (err: Error) => {
      assert.match(err.message, /cannot open the PostgreSQL index at postgres:\/\/openkvs:\*\*\*@127\.0\.0\.1:1\/none/);
      assert.doesNotMatch(err.message, /secret-pw/);
      return true;
    });
  });

  test('text columns sort in byte order even in a database with a linguistic collation', async () => {
    const url = await server().createDatabase();
    const rows = await queryAt(url, "SELECT datlocprovider FROM pg_database WHERE datname = current_database()");
    assert.equal(rows[0]?.['datlocprovider'], 'i', 'test databases use ICU collation');
    const store = await PostgresIndexStore.open(url);
    try {
      for (const name of ['a_1', 'a-1', 'B', 'a']) await store.createStream(newStream(name), {});
      assert.deepEqual((await store.listStreams({ limit: 10 })).map((s) => s.name), ['B', 'a', 'a-1', 'a_1']);
    } finally {
      await store.close();
    }
  });
}

async function queryAt(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await client.end();
  }
}
