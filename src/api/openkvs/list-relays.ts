/**
 * POST /openkvs/listRelays — the cameras `openkvs serve --relays` runs in this process, with
 * each one's state; openkvs's own operation (nothing of KVS lives under /openkvs/), SigV4-signed
 * like every call. KVS has no such call: its producers run elsewhere (the producer SDK on the
 * camera's side), so a console learns of them only from fragments; here the relays are in the
 * server, and the web console shows their state on the streams and stream pages.
 *
 *   { "StreamName": "door" }            (optional: that stream's relays only)
 *   → { "Relays": [{ "Name", "StreamName", "Source", "State", "FramesPerSecond",
 *        "BitrateKbps", "FragmentsPersisted", "FragmentsBuffered", "FragmentsDropped",
 *        "SourceRestarts", "Sessions", "LastError", "LastFragmentTimestamp" }] }
 *
 * A relay is listed to callers that may DescribeStream its stream: its state is the producer
 * side of the stream's description. Sources are shown without user name and password.
 */
import { actionOf, STREAM_ARN_PREFIX_OF } from '../../access/actions.js';
import { decisionFor } from '../../access/principal.js';
import type { JsonOperation } from '../operation.js';
import type { OperationShape } from '../shapes/shape.js';

export const LIST_RELAYS_PATH = '/openkvs/listRelays';

/** What the process running relays tells the API of each (src/relay's status, source redacted). */
export interface RelayView {
  readonly name: string;
  readonly stream: string;
  readonly source: string;
  readonly state: string;
  readonly fps: number;
  readonly bitrateKbps: number;
  readonly fragmentsPersisted: number;
  readonly fragmentsBuffered: number;
  readonly fragmentsDropped: number;
  readonly sourceRestarts: number;
  readonly sessions: number;
  readonly lastError: string | undefined;
  readonly lastFragmentMs: number | undefined;
  /** The last PERSISTED fragment: ms from its last byte handed to the connection to the ack. */
  readonly persistLatencyMs: number | undefined;
}

interface ListRelaysInput {
  StreamName?: string;
}

const shape: OperationShape = {
  path: LIST_RELAYS_PATH,
  input: {
    type: 'structure',
    members: { StreamName: { type: 'string', min: 1, max: 256, pattern: '[a-zA-Z0-9_.-]+' } },
    required: [],
  },
};

export const listRelays: JsonOperation<ListRelaysInput> = {
  name: 'ListRelays',
  shape,
  async handle(input, ctx) {
    const relays = (ctx.relays?.() ?? []).filter((r) => input.StreamName === undefined || r.stream === input.StreamName);
    const describe = actionOf('DescribeStream');
    const visible: RelayView[] = [];
    for (const relay of relays) {
      const stream = await ctx.index.getStreamByName(relay.stream);
      const resource = stream?.arn ?? STREAM_ARN_PREFIX_OF(ctx.region, ctx.accountId, relay.stream);
      if (decisionFor(ctx.access.principal, describe, resource) === 'allow') visible.push(relay);
    }
    return {
      Relays: visible.map((r) => ({
        Name: r.name,
        StreamName: r.stream,
        Source: r.source,
        State: r.state,
        FramesPerSecond: r.fps,
        BitrateKbps: r.bitrateKbps,
        FragmentsPersisted: r.fragmentsPersisted,
        FragmentsBuffered: r.fragmentsBuffered,
        FragmentsDropped: r.fragmentsDropped,
        SourceRestarts: r.sourceRestarts,
        Sessions: r.sessions,
        ...(r.lastError !== undefined && { LastError: r.lastError }),
        ...(r.lastFragmentMs !== undefined && { LastFragmentTimestamp: new Date(r.lastFragmentMs).toISOString() }),
        ...(r.persistLatencyMs !== undefined && { PersistLatencyMillis: r.persistLatencyMs }),
      })),
    };
  },
};
