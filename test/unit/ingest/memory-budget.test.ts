import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IngestBudget, type BudgetAccount } from '../../../src/ingest/memory-budget.js';
import { createLogger } from '../../../src/util/logger.js';

const KB = 1024;
const until = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

function setup(limitKb: number, throttleTimeoutMs = 60_000) {
  const budget = new IngestBudget({ limitBytes: limitKb * KB, throttleTimeoutMs, recheckMs: 5 }, createLogger('silent'));
  const shed: string[] = [];
  const open = (stream: string) => budget.openAccount({ stream, shed: () => shed.push(stream) });
  return { budget, shed, open };
}

describe('IngestBudget', () => {
  test('below 7/8 everyone reads; between 7/8 and the limit only sessions with less than their share waiting for the committer; at the limit nobody', () => {
    const { budget, open } = setup(800);
    const [backlogged, assembling] = [open('backlogged'), open('assembling')];
    backlogged.add(600 * KB);
    backlogged.committing(500 * KB);
    assert.ok(backlogged.allows() && assembling.allows(), 'below 700 KB');
    assembling.add(150 * KB); // 750 KB held: in the band; the share is 400 KB
    assert.ok(!backlogged.allows(), 'the session with the most waiting for the committer stops');
    assert.ok(assembling.allows(), 'a session only assembling reads on');
    assembling.add(50 * KB); // 800 KB: the limit
    assert.ok(!assembling.allows() && !backlogged.allows());
    assert.equal(budget.heldBytes, 800 * KB);
    backlogged.committed(500 * KB);
    backlogged.remove(600 * KB);
    assert.equal(budget.heldBytes, 200 * KB);
  });

  test('fragments being assembled fill the budget and nothing is given back: the newest sessions are shed until the rest fit', async () => {
    const { budget, shed, open } = setup(1024);
    const accounts = ['old', 'middle', 'new'].map(open);
    accounts.forEach((account) => {
      account.add(350 * KB);
      account.throttle(() => {});
    });
    const started = Date.now();
    await until(() => shed.length > 0, 'a shed');
    assert.ok(Date.now() - started >= 900, 'only after a second without progress');
    // 1050 KB held; shedding "new" leaves 700 KB, under 7/8 (896 KB): one is enough.
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(shed, ['new']);
    assert.equal(budget.shed, 1);
  });

  test('complete fragments waiting for a slow disk fill the budget for over a second: nobody is shed before the throttle timeout', async () => {
    const { budget, shed, open } = setup(1024, 1_500);
    const accounts = ['old', 'new'].map(open);
    accounts.forEach((account) => {
      account.add(512 * KB);
      account.committing(400 * KB);
      account.throttle(() => {});
    });
    await new Promise((r) => setTimeout(r, 1_200));
    assert.deepEqual(shed, [], 'the disk gives the bytes back in time');
    // The disk answers: both resume, nobody shed.
    accounts.forEach((account) => {
      account.committed(400 * KB);
      account.remove(400 * KB);
    });
    await until(() => budget.throttledSessions === 0, 'both to resume');
    assert.deepEqual(shed, []);
  });

  test('throttled sessions resume once bytes are given back, longest-open first, as many as the room allows', async () => {
    const { budget, open } = setup(1024);
    const accounts = ['a', 'b', 'c'].map(open);
    const resumed: string[] = [];
    accounts.forEach((account, i) => account.add([300, 300, 424][i]! * KB));
    accounts[2]!.committing(400 * KB);
    // All three at the limit: throttled, newest first to show the order is by opening, not by throttling.
    // A resumed reader reads a socket chunk (64 KB here).
    for (const account of [...accounts].reverse()) {
      account.throttle(() => {
        resumed.push(account.stream);
        account.add(64 * KB);
      });
    }
    assert.equal(budget.throttledSessions, 3);
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(resumed, [], 'nobody resumes while the budget is spent');
    // 250 KB back: 774 KB held. a and b resume (774 and 838 KB projected, under 7/8 = 896 KB);
    // then 902 KB are projected, in the band, where c has more than its share (1024 / 3 KB)
    // waiting for the committer.
    accounts[1]!.remove(250 * KB);
    await until(() => resumed.length >= 2, 'two resumes');
    await new Promise((r) => setTimeout(r, 30));
    assert.deepEqual(resumed, ['a', 'b'], 'the longest-open go first');
    assert.equal(budget.throttledSessions, 1);
  });

  test('a session throttled past the timeout is shed, the one holding the most first, and no longer counts as open', async () => {
    const { budget, shed, open } = setup(1024, 50);
    const [a, b] = [open('a'), open('b')];
    a.add(300 * KB);
    b.add(724 * KB);
    a.throttle(() => {});
    b.throttle(() => {});
    await until(() => shed.length >= 1, 'a shed');
    assert.equal(shed[0], 'b', 'the session holding the most goes first');
    // "a" is starved too, but what "b" is about to give back is room enough for it.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(shed, ['b'], 'a second session is not shed while the first one\'s bytes are on their way back');
    assert.equal(budget.shed, 1);
    // Its bytes go back as its slabs are released; once they are, the other may read again.
    b.remove(724 * KB);
    await until(() => budget.throttledSessions === 0, 'a to resume');
    assert.deepEqual(shed, ['b'], 'only as many sessions are shed as needed');
  });

  test('a closed account stops counting toward the share and is never resumed or shed', async () => {
    const { budget, shed, open } = setup(1024, 20);
    const a: BudgetAccount = open('a');
    a.add(1024 * KB);
    let resumed = false;
    a.throttle(() => (resumed = true));
    a.close();
    a.remove(1024 * KB);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(resumed, false);
    assert.deepEqual(shed, []);
    assert.equal(budget.throttledSessions, 0);
    assert.equal(budget.heldBytes, 0);
  });
});
