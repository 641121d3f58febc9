/**
 * Relay state (`openkvs serve --relays`): each camera the server pulls, with its state, frame
 * rate, bit rate and last error, on the streams page (a line under the stream's status) and the
 * stream page (a card of its own). Polled every 5 s through ListRelays; a server without relays
 * answers an empty list and nothing is drawn.
 */
import { useEffect, useState } from 'preact/hooks';
import { errorText, listRelays, type Kvs, type RelayInfo } from './api';

const POLL_MS = 5_000;

/** The relays (of one stream, or all), refreshed every 5 s; undefined until the first answer. */
export function useRelays(kvs: Kvs, streamName?: string): { relays: RelayInfo[] | undefined; error: string | undefined } {
  const [relays, setRelays] = useState<RelayInfo[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const list = await listRelays(kvs, streamName);
        if (cancelled) return;
        setRelays(list);
        setError(undefined);
      } catch (err) {
        if (!cancelled) setError(errorText(err));
      }
      if (!cancelled) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [kvs, streamName]);
  return { relays, error };
}

/** live / buffering: media is flowing; connecting, reconnecting: on its way; failed, stopped: not. */
function stateClass(state: string): string {
  if (state === 'live') return 'live';
  if (state === 'failed' || state === 'stopped') return 'bad';
  return 'warn';
}

/** One line per relay: state badge, fps and bit rate, the last error under it. */
export function RelayLine(props: { relay: RelayInfo }) {
  const r = props.relay;
  return (
    <span class="relay small" data-testid="relay" data-relay={r.Name} data-state={r.State}>
      <span class={`badge ${stateClass(r.State)}`} title={`Relay ${r.Name} from ${r.Source}`}>
        relay {r.State}
      </span>{' '}
      <span class="relay-rate" data-testid="relay-rate">
        {r.FramesPerSecond.toFixed(1)} fps · {r.BitrateKbps.toLocaleString()} kbit/s
      </span>
      {r.LastError && (
        <span class="error relay-error" data-testid="relay-error" title={r.LastError}>
          {r.LastError}
        </span>
      )}
    </span>
  );
}

/** The stream page's card: everything ListRelays says of the stream's relays. */
export function RelayCard(props: { relays: RelayInfo[] }) {
  return (
    <div class="card relays" aria-label="Relay" data-testid="relay-card">
      {props.relays.map((r) => (
        <div key={r.Name}>
          <RelayLine relay={r} />
          <dl class="facts small">
            <div>
              <dt>Source</dt>
              <dd class="mono">{r.Source}</dd>
            </div>
            <div>
              <dt>Fragments persisted</dt>
              <dd data-testid="relay-persisted">{r.FragmentsPersisted.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Buffered</dt>
              <dd>{r.FragmentsBuffered}</dd>
            </div>
            <div>
              <dt>Dropped</dt>
              <dd>{r.FragmentsDropped}</dd>
            </div>
            <div>
              <dt>Reconnects</dt>
              <dd>{r.SourceRestarts}</dd>
            </div>
            <div>
              <dt>Sessions</dt>
              <dd>{r.Sessions}</dd>
            </div>
            <div>
              <dt>Last PERSISTED after</dt>
              <dd>{r.PersistLatencyMillis === undefined ? '—' : `${r.PersistLatencyMillis} ms`}</dd>
            </div>
          </dl>
        </div>
      ))}
    </div>
  );
}
