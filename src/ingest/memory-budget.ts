import type { Logger } from '../util/logger.js';

/** What the budget knows about one PutMedia session. */
export interface BudgetAccountOptions {
  /** The session's stream, for log lines. */
  readonly stream: string;
  /** The budget cannot serve the session (see IngestBudget): it must end with an ERROR ack. */
  readonly shed: () => void;
}

export interface IngestBudgetOptions {
  /** Most bytes held for fragments not yet durable (body read-ahead, slabs being assembled or committed). */
  readonly limitBytes: number;
  /** A session throttled this long without a break is ended with an ERROR ack. */
  readonly throttleTimeoutMs: number;
  /** How often throttled sessions are looked at again. */
  readonly recheckMs?: number;
}

/**
 * Above this share of the limit, only sessions whose fragments waiting for durability come to
 * less than their fair share (limit / open sessions) may read on; at the limit nobody may.
 */
const SOFT_SHARE = 7 / 8;
const DEFAULT_RECHECK_MS = 25;
/** What a resumed session is expected to read before the budget next looks: one socket read. */
const RESUME_ALLOWANCE_BYTES = 64 * 1024;
/**
 * The fragments being assembled alone fill the budget, sessions are throttled, and nothing has
 * been given back for this long: none of them can finish. Newest sessions are shed until they fit.
 */
const STUCK_MS = 1_000;
/** Throttling is logged at most this often (with counts), so an overloaded server does not flood its log. */
const LOG_INTERVAL_MS = 10_000;

/**
 * The bytes PutMedia holds for fragments not yet durable, capped (issue 17). Each session has an
 * account; its body reader adds socket chunks it reads ahead, its chunk window the slabs it holds
 * (being assembled, or pinned until the group committer has made them durable), and both take
 * them off again once they are given back; the session also tells it how many bytes of complete
 * fragments wait for the committer. Before reading more of a socket, the body reader asks
 * `allows`; when refused it pauses the request, so TCP pushes back on the producer, and waits in
 * `throttle` until this budget resumes it. The bound is the limit plus what each connection may
 * have in flight when it is paused (one socket read, ~64 KiB, and a slab).
 *
 * Two kinds of bytes, two remedies:
 * - Complete fragments waiting to be durable free themselves as the committer catches up: past
 *   7/8 of the limit the sessions with the most of them stop reading (TCP backpressure); at the
 *   limit everyone does, and the longest-open sessions resume first once there is room.
 * - Fragments being assembled free nothing until more of them is read. When they alone fill the
 *   budget (more cameras than it holds), waiting would never end: once nothing has been given
 *   back for STUCK_MS, the newest throttled sessions are shed (ERROR ack) until the rest fit. The
 *   longest-open keep being served.
 * A session throttled `throttleTimeoutMs` without a break is shed too, the ones holding the most
 * first and only as many as the others need to read again, so no producer is held back without
 * word for longer than KVS's timeouts allow.
 */
export class IngestBudget {
  readonly limitBytes: number;
  private held = 0;
  /** Part of `held`: complete fragments handed to the committer, which give themselves back. */
  private committing = 0;
  private readonly open = new Set<BudgetAccount>();
  private readonly throttled = new Set<BudgetAccount>();
  /** Shed sessions whose fragment in progress is not given back yet (its slabs are released a little later). */
  private readonly returning = new Set<BudgetAccount>();
  private timer: NodeJS.Timeout | undefined;
  private readonly throttleTimeoutMs: number;
  private readonly recheckMs: number;
  /** Counts since the start, for /metrics. */
  throttles = 0;
  shed = 0;
  private lastLogMs = 0;
  private opened = 0;
  private lastGivenBackMs = Date.now();

  constructor(
    options: IngestBudgetOptions,
    private readonly log: Logger,
  ) {
    this.limitBytes = options.limitBytes;
    this.throttleTimeoutMs = options.throttleTimeoutMs;
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
  }

  get heldBytes(): number {
    return this.held;
  }

  get throttledSessions(): number {
    return this.throttled.size;
  }

  /** An account for a session now reading its body. */
  openAccount(options: BudgetAccountOptions): BudgetAccount {
    const account = new BudgetAccount(this, options, this.opened++);
    this.open.add(account);
    return account;
  }

  /** @internal BudgetAccount's bookkeeping. */
  change(bytes: number): void {
    this.held += bytes;
    if (bytes < 0) this.lastGivenBackMs = Date.now();
  }

  /** @internal BudgetAccount's bookkeeping. */
  changeCommitting(bytes: number): void {
    this.committing += bytes;
  }

  /** Whether the session may read more of its socket now. */
  allows(account: BudgetAccount): boolean {
    return this.allowsAt(this.held, account);
  }

  private allowsAt(held: number, account: BudgetAccount): boolean {
    if (held < this.limitBytes * SOFT_SHARE) return true;
    if (held >= this.limitBytes) return false;
    return account.committingBytes < this.limitBytes / Math.max(1, this.open.size);
  }

  /** @internal */
  startThrottle(account: BudgetAccount): void {
    this.throttled.add(account);
    this.throttles++;
    const now = Date.now();
    if (now - this.lastLogMs >= LOG_INTERVAL_MS) {
      this.lastLogMs = now;
      this.log.warn(
        { heldBytes: this.held, limitBytes: this.limitBytes, throttledSessions: this.throttled.size, openSessions: this.open.size, stream: account.stream },
        'ingest memory budget spent: not reading the bodies of the sessions holding the most (TCP backpressure)',
      );
    }
    this.timer ??= setInterval(() => this.recheck(), this.recheckMs).unref();
  }

  /** @internal The session stopped reading its body (ended, failed, or draining what is left). */
  close(account: BudgetAccount): void {
    this.open.delete(account);
    this.throttled.delete(account);
    this.stopTimerIfIdle();
  }

  /**
   * Resumes as many throttled sessions as the room left allows, longest-open first, then sheds
   * one stuck too long. A stable order matters when the fragments being assembled alone fill the
   * budget: resuming everyone a little (fairly) would finish no fragment and free nothing, while
   * the same sessions going first finish theirs, and the ones left waiting are shed in time.
   */
  private recheck(): void {
    const waiting = [...this.throttled].sort((a, b) => a.seq - b.seq);
    let projected = this.held;
    for (const account of waiting) {
      if (!this.allowsAt(projected, account)) continue;
      this.throttled.delete(account);
      account.resume();
      projected += RESUME_ALLOWANCE_BYTES;
    }
    const now = Date.now();
    this.shedStuck(now);
    this.shedStarved(now);
    if (this.throttled.size === 0 && this.lastLogMs > 0) {
      this.log.info({ heldBytes: this.held, limitBytes: this.limitBytes }, 'ingest memory budget: no session throttled any more');
      this.lastLogMs = 0;
    }
    this.stopTimerIfIdle();
  }

  /**
   * Fragments being assembled fill the budget: the newest throttled sessions go until the rest
   * fit. Fragments waiting for a slow disk do not count: they give themselves back, and a disk that
   * never answers is the throttle timeout's case.
   */
  private shedStuck(now: number): void {
    const assembling = this.held - this.committing - this.returningBytes();
    if (this.throttled.size === 0 || assembling < this.limitBytes * SOFT_SHARE || now - this.lastGivenBackMs < STUCK_MS) return;
    const newestFirst = [...this.throttled].sort((a, b) => b.seq - a.seq);
    let projected = assembling;
    for (const account of newestFirst) {
      if (projected < this.limitBytes * SOFT_SHARE) break;
      // What shedding gives back at once: the fragment being assembled and the read-ahead.
      projected -= account.heldBytes - account.committingBytes;
      this.shedAccount(account, now, 'the fragments being assembled fill the ingest memory budget');
    }
    this.lastGivenBackMs = now;
  }

  /**
   * Sessions throttled for too long without a break go, the one holding the most first, until
   * what they and earlier sheds give back lets the others read. When bytes waiting for the disk
   * are what holds everyone back, shedding frees nothing soon, and every starved session goes.
   */
  private shedStarved(now: number): void {
    const starved = [...this.throttled].filter((account) => now - account.throttledSinceMs >= this.throttleTimeoutMs);
    let projected = this.held - this.returningBytes();
    for (const account of starved.sort((a, b) => b.heldBytes - a.heldBytes)) {
      if (projected < this.limitBytes * SOFT_SHARE) break;
      projected -= account.heldBytes - account.committingBytes;
      this.shedAccount(account, now, 'throttled by the ingest memory budget for too long');
    }
  }

  /** What shed sessions are still to give back: counted as free when deciding whether to shed more. */
  private returningBytes(): number {
    let bytes = 0;
    for (const account of this.returning) {
      const back = account.heldBytes - account.committingBytes;
      if (back > 0) bytes += back;
      else this.returning.delete(account);
    }
    return bytes;
  }

  private shedAccount(account: BudgetAccount, now: number, reason: string): void {
    this.shed++;
    this.log.warn(
      { stream: account.stream, sessionHeldBytes: account.heldBytes, heldBytes: this.held, limitBytes: this.limitBytes, throttledMs: now - account.throttledSinceMs, reason },
      'PutMedia session shed: ERROR ack 5000 INTERNAL_ERROR',
    );
    this.close(account);
    this.returning.add(account);
    account.shedNow();
  }

  private stopTimerIfIdle(): void {
    if (this.throttled.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** One session's share of the budget. */
export class BudgetAccount {
  private held = 0;
  private backlog = 0;
  private resumeReading: (() => void) | undefined;
  /** Date.now() when the current throttle began. */
  throttledSinceMs = 0;

  constructor(
    private readonly budget: IngestBudget,
    private readonly options: BudgetAccountOptions,
    /** Opening order: who is resumed first. */
    readonly seq: number,
  ) {}

  get heldBytes(): number {
    return this.held;
  }

  get stream(): string {
    return this.options.stream;
  }

  /** Bytes of complete fragments handed to the committer and not yet durable (part of `heldBytes`). */
  get committingBytes(): number {
    return this.backlog;
  }

  /** A complete fragment of `bytes` went to the committer. */
  committing(bytes: number): void {
    this.backlog += bytes;
    this.budget.changeCommitting(bytes);
  }

  /** ...and is durable (or failed): its bytes are given back with `remove` as its slabs are released. */
  committed(bytes: number): void {
    this.backlog -= bytes;
    this.budget.changeCommitting(-bytes);
  }

  add(bytes: number): void {
    this.held += bytes;
    this.budget.change(bytes);
  }

  remove(bytes: number): void {
    this.held -= bytes;
    this.budget.change(-bytes);
  }

  allows(): boolean {
    return this.budget.allows(this);
  }

  /** The reader paused its request; `resume` restarts it once the budget allows. */
  throttle(resume: () => void): void {
    this.resumeReading = resume;
    this.throttledSinceMs = Date.now();
    this.budget.startThrottle(this);
  }

  /** The session no longer reads under the budget; bytes it still holds are given back with `remove`. */
  close(): void {
    this.resumeReading = undefined;
    this.budget.close(this);
  }

  /** @internal */
  resume(): void {
    const resume = this.resumeReading;
    this.resumeReading = undefined;
    resume?.();
  }

  /** @internal */
  shedNow(): void {
    this.resumeReading = undefined;
    this.options.shed();
  }
}
