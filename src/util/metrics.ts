import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/**
 * Prometheus metrics named after the KVS CloudWatch metrics (`PutMedia.IncomingBytes` →
 * `kvs_putmedia_incoming_bytes_total`; the README has the whole mapping), each labelled with the
 * stream. One registry per server (tests run several servers in one process), plus prom-client's
 * process metrics.
 *
 * Label cardinality is bounded: the first `maxStreams` stream names seen get their own label
 * value, every later one is counted under `_other` (a long-running server with churning stream
 * names cannot grow the series without bound). Restarting the server resets the set.
 */
export const OTHER_STREAMS = '_other';
export const DEFAULT_MAX_STREAM_LABELS = 50;

/** Operations whose answer bytes are counted as `<Operation>.OutgoingBytes`. */
const OUTGOING_BYTES_OPERATIONS = new Set([
  'GetMedia',
  'GetClip',
  'GetMediaForFragmentList',
  'GetMP4MediaFragment',
  'GetMP4InitFragment',
  'GetTSFragment',
  'GetImages',
]);

/** What /metrics shows of the ingest memory budget (ingest/memory-budget.ts). */
export interface IngestBudgetView {
  readonly limitBytes: number;
  readonly heldBytes: number;
  readonly throttledSessions: number;
  /** Since the start: sessions paused by the budget, and sessions ended for being paused too long. */
  readonly throttles: number;
  readonly shed: number;
}

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export class KvsMetrics {
  readonly registry = new Registry();
  private readonly streams = new Set<string>();
  private readonly incomingBytes: Counter<'stream'>;
  private readonly incomingFragments: Counter<'stream'>;
  private readonly ingestionLatency: Histogram<'stream'>;
  private readonly persistLatency: Histogram<'stream'>;
  private readonly activeConnections: Gauge<'stream'>;
  private readonly errorAcks: Counter<'stream' | 'error_code'>;
  private readonly outgoing = new Map<string, Counter<'stream'>>();
  private readonly requests = new Map<string, Counter<'stream'>>();
  private readonly latencies = new Map<string, Histogram<'stream'>>();

  constructor(private readonly maxStreams = DEFAULT_MAX_STREAM_LABELS) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.incomingBytes = new Counter({
      name: 'kvs_putmedia_incoming_bytes_total',
      help: 'PutMedia.IncomingBytes: request body bytes received by PutMedia',
      labelNames: ['stream'],
      registers,
    });
    this.incomingFragments = new Counter({
      name: 'kvs_putmedia_incoming_fragments_total',
      help: 'PutMedia.IncomingFragments: complete fragments received and stored by PutMedia',
      labelNames: ['stream'],
      registers,
    });
    this.ingestionLatency = new Histogram({
      name: 'kvs_putmedia_fragment_ingestion_latency_seconds',
      help: "PutMedia.FragmentIngestionLatency: from a fragment's first byte to its last",
      labelNames: ['stream'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.persistLatency = new Histogram({
      name: 'kvs_putmedia_fragment_persist_latency_seconds',
      help: "PutMedia.FragmentPersistLatency: from a fragment's last byte to its being durable (PERSISTED)",
      labelNames: ['stream'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.activeConnections = new Gauge({
      name: 'kvs_putmedia_active_connections',
      help: 'PutMedia.ActiveConnections: PutMedia requests open now',
      labelNames: ['stream'],
      registers,
    });
    this.errorAcks = new Counter({
      name: 'kvs_putmedia_error_acks_total',
      help: 'PutMedia.ErrorAcks: ERROR acks sent, by KVS error code name',
      labelNames: ['stream', 'error_code'],
      registers,
    });
  }

  /**
   * The label value for a stream name: itself while fewer than maxStreams are known, else
   * `_other`. `admit: false` (a request that failed, perhaps naming no stream at all) only uses a
   * name already known, so made-up names cannot take the slots.
   */
  streamLabel(name: string | undefined, admit = true): string {
    if (name === undefined || name === '') return OTHER_STREAMS;
    if (this.streams.has(name)) return name;
    if (!admit || this.streams.size >= this.maxStreams) return OTHER_STREAMS;
    this.streams.add(name);
    return name;
  }

  putMediaBytes(stream: string, bytes: number): void {
    this.incomingBytes.inc({ stream: this.streamLabel(stream) }, bytes);
  }

  putMediaFragment(stream: string, ingestionMs: number, persistMs: number): void {
    const labels = { stream: this.streamLabel(stream) };
    this.incomingFragments.inc(labels);
    this.ingestionLatency.observe(labels, Math.max(0, ingestionMs) / 1000);
    this.persistLatency.observe(labels, Math.max(0, persistMs) / 1000);
  }

  putMediaErrorAck(stream: string, errorCode: string): void {
    this.errorAcks.inc({ stream: this.streamLabel(stream), error_code: errorCode });
  }

  /** Counts a PutMedia connection open; call the returned function once when it ends. */
  putMediaConnection(stream: string): () => void {
    const labels = { stream: this.streamLabel(stream) };
    this.activeConnections.inc(labels);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.activeConnections.dec(labels);
    };
  }

  /**
   * openkvs's own ingest gauges (no KVS counterpart), read from the budget at each scrape: what an
   * operator of an overloaded server watches (README "When the server is overloaded").
   */
  watchIngestBudget(budget: IngestBudgetView): void {
    const registers = [this.registry];
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({ name, help, registers, collect() { this.set(read()); } });
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({ name, help, registers, collect() { this.reset(); this.inc(read()); } });
    gauge('openkvs_ingest_memory_budget_bytes', 'the ingest memory budget (--ingest-memory-budget)', () => budget.limitBytes);
    gauge('openkvs_ingest_held_bytes', 'PutMedia bytes held for fragments not yet durable (read ahead, being assembled, being committed)', () => budget.heldBytes);
    gauge('openkvs_ingest_throttled_sessions', 'PutMedia sessions whose socket is not read now because the budget is spent', () => budget.throttledSessions);
    counter('openkvs_ingest_throttles_total', 'times a PutMedia session was paused by the memory budget', () => budget.throttles);
    counter('openkvs_ingest_shed_sessions_total', 'PutMedia sessions ended with ERROR 5000 after being paused by the budget too long', () => budget.shed);
  }

  /** Whether `<operation>.OutgoingBytes` is kept. */
  countsOutgoingBytes(operation: string): boolean {
    return OUTGOING_BYTES_OPERATIONS.has(operation);
  }

  outgoingBytes(operation: string, stream: string | undefined, bytes: number): void {
    if (bytes <= 0 || !this.countsOutgoingBytes(operation)) return;
    let counter = this.outgoing.get(operation);
    if (!counter) {
      counter = new Counter({
        name: `kvs_${snake(operation)}_outgoing_bytes_total`,
        help: `${operation}.OutgoingBytes: response body bytes sent`,
        labelNames: ['stream'],
        registers: [this.registry],
      });
      this.outgoing.set(operation, counter);
    }
    counter.inc({ stream: this.streamLabel(stream) }, bytes);
  }

  /** `<Operation>.Requests` and `<Operation>.Latency` (until the answer ended). */
  request(operation: string, stream: string | undefined, seconds: number, succeeded = true): void {
    const labels = { stream: this.streamLabel(stream, succeeded) };
    let requests = this.requests.get(operation);
    if (!requests) {
      requests = new Counter({
        name: `kvs_${snake(operation)}_requests_total`,
        help: `${operation}.Requests: requests answered (any status)`,
        labelNames: ['stream'],
        registers: [this.registry],
      });
      this.requests.set(operation, requests);
    }
    let latency = this.latencies.get(operation);
    if (!latency) {
      latency = new Histogram({
        name: `kvs_${snake(operation)}_latency_seconds`,
        help: `${operation}.Latency: from the request's arrival to the end of its answer`,
        labelNames: ['stream'],
        buckets: LATENCY_BUCKETS,
        registers: [this.registry],
      });
      this.latencies.set(operation, latency);
    }
    requests.inc(labels);
    latency.observe(labels, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  /** This process's metrics as prom-client JSON, for the primary of `serve --workers` to sum. */
  json(): Promise<MetricObjectWithValues<MetricValue<string>>[]> {
    return this.registry.getMetricsAsJSON();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}

/** `GetHLSMediaPlaylist` → `gethlsmediaplaylist`, `PutMedia` → `putmedia` (as in the README's table). */
function snake(operation: string): string {
  return operation.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** The stream name in a KVS stream ARN (`arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/CREATION`). */
export function streamNameFromArn(arn: string): string | undefined {
  const match = /:stream\/([^/]+)\/\d+$/.exec(arn);
  return match?.[1];
}
