import { afterEach, beforeEach } from 'node:test';

/**
 * What a contract run gets from an adapter: a store over fresh, empty storage; `reopen` closes
 * it and opens a new store over the same storage (a restart); `cleanup` closes whatever is open
 * and removes the storage.
 */
export interface StoreFixture<S> {
  store: S;
  reopen: () => Promise<S>;
  cleanup: () => Promise<void>;
}

/** The store under test for the current test; `restart` swaps it for a reopened one. */
export interface Harness<S> {
  readonly store: S;
  restart(): Promise<void>;
}

/** Opens a fresh fixture before each test of the enclosing suite and cleans it up after. */
export function contractHarness<S>(open: () => Promise<StoreFixture<S>>): Harness<S> {
  let fixture: StoreFixture<S>;
  let store: S;
  beforeEach(async () => {
    fixture = await open();
    store = fixture.store;
  });
  afterEach(async () => {
    await fixture.cleanup();
  });
  return {
    get store() {
      return store;
    },
    restart: async () => {
      store = await fixture.reopen();
    },
  };
}
