/**
 * One stream: live view, the archive timeline, playback from any recorded instant, clip export,
 * and how to get the same things elsewhere (session URLs, the equivalent AWS CLI commands).
 */
import { DescribeStreamCommand, type StreamInfo } from '@aws-sdk/client-kinesis-video';
import { GetClipCommand, GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, type Kvs } from './api';
import { producerConnected } from './details';
import { CLIP_MAX_BYTES, CLIP_MAX_FRAGMENTS, FragmentSet, loadArchive, loadRecent, planClip, type LoadProgress } from './fragments';
import { ago, bytes, localTime, markPainted, parseLocalTime, retention, shellQuote, span } from './format';
import { Player, type PlayerState } from './player';
import { EditDialog } from './streams';
import { RelayCard, useRelays } from './relays';
import { MAX_SPAN_MS, Timeline, type Range, type View } from './timeline';

const FIRST_WINDOW_MS = 3_600_000;
/** How far before the page opened the recent-fragment polls reach (see recentFromMs). */
const RECENT_OVERLAP_MS = 60_000;

export function StreamPage(props: { kvs: Kvs; name: string }) {
  const { kvs, name } = props;
  const [info, setInfo] = useState<StreamInfo | undefined>();
  const [error, setError] = useState<string>();
  const [editing, setEditing] = useState(false);
  const set = useMemo(() => new FragmentSet(), [name]);
  const [version, setVersion] = useState(0);
  const [progress, setProgress] = useState<LoadProgress | undefined>();
  const [view, setView] = useState<View>({ endMs: Date.now(), spanMs: FIRST_WINDOW_MS, follow: true });
  const [cursor, setCursor] = useState<number>();
  const [selection, setSelection] = useState<Range>();
  const [, tick] = useState(0);
  const { relays } = useRelays(kvs, name);

  const video = useRef<HTMLVideoElement>(null);
  const player = useRef<Player>();
  const [playerState, setPlayerState] = useState<PlayerState>({ kind: 'idle' });
  const [shown, setShown] = useState<{ pdtMs?: number; delayMs?: number }>({});
  const wantLive = useRef(true);
  const [playerReady, setPlayerReady] = useState(false);

  useEffect(() => {
    kvs.control.send(new DescribeStreamCommand({ StreamName: name })).then(
      (r) => setInfo(r.StreamInfo),
      (err) => setError(errorText(err)),
    );
  }, [name]);

  // The archive: the newest hour first, then the rest back to min(retention, 7 days), then the
  // live edge every 2 s.
  useEffect(() => {
    if (!info) return;
    const hours = info.DataRetentionInHours ?? 0;
    if (hours === 0) return;
    const abort = new AbortController();
    const openedMs = Date.now();
    // A fragment that started before the page opened can be indexed after the archive load asked
    // for it (a producer sends a fragment for its whole duration): the polls reach back a minute.
    const recentFromMs = openedMs - RECENT_OVERLAP_MS;
    set.dedupeFromMs = recentFromMs;
    // Redraw at most every 250 ms while pages pour in: each redraw re-sorts what has arrived.
    let redraw: ReturnType<typeof setTimeout> | undefined;
    let lastDraw = 0;
    const changed = () => {
      if (redraw) return;
      redraw = setTimeout(() => {
        redraw = undefined;
        lastDraw = performance.now();
        setVersion(set.version);
        setProgress(progressNow);
      }, Math.max(0, lastDraw + 250 - performance.now()));
    };
    const horizon = Math.min(hours * 3_600_000, MAX_SPAN_MS);
    let firstMarked = false;
    let progressNow: LoadProgress | undefined;
    void loadArchive(kvs, name, set, openedMs - horizon, openedMs, {
      firstWindowMs: FIRST_WINDOW_MS,
      windowMs: 24 * 3_600_000,
      concurrency: 4,
      signal: abort.signal,
      onProgress: (p) => {
        progressNow = p;
        changed();
        if (p.loadedMs >= Math.min(FIRST_WINDOW_MS, p.totalMs) && !firstMarked) {
          firstMarked = true;
          markPainted('openkvs:timeline-first');
        }
      },
    }).then(
      () => {
        clearTimeout(redraw);
        redraw = undefined;
        setVersion(set.version);
        if (progressNow) progressNow = { ...progressNow, loadedMs: progressNow.totalMs };
        setProgress(progressNow);
        markPainted('openkvs:timeline-complete');
      },
      (err) => {
        if (!abort.signal.aborted) setError(errorText(err));
      },
    );
    const poll = setInterval(() => {
      const since = Math.max(recentFromMs, (set.newest?.producerMs ?? openedMs) - 10_000);
      loadRecent(kvs, name, set, openedMs + 1, since, abort.signal).then(changed, () => undefined);
      tick((n) => n + 1);
    }, 2000);
    return () => {
      abort.abort();
      clearInterval(poll);
      clearTimeout(redraw);
    };
  }, [info?.StreamARN]);

  // Follow now: the view slides with the clock.
  useEffect(() => {
    if (!view.follow) return;
    const timer = setInterval(() => setView((v) => (v.follow ? { ...v, endMs: Date.now() } : v)), 1000);
    return () => clearInterval(timer);
  }, [view.follow]);

  // The player, and what it shows: the delay behind the camera (live), the moment on screen.
  useEffect(() => {
    if (!video.current) return;
    // A new state is a new session: what was shown belongs to the old one (the live edge would
    // otherwise stand for up to a tick as the moment an archive session starts at).
    const p = new Player(video.current, (state) => {
      setShown({});
      setPlayerState(state);
    });
    player.current = p;
    setPlayerReady(true);
    const timer = setInterval(() => {
      const pdtMs = p.playingDateMs();
      setShown(pdtMs === undefined ? {} : { pdtMs, delayMs: Date.now() - pdtMs });
    }, 250);
    return () => {
      clearInterval(timer);
      p.destroy();
    };
  }, [name, info === undefined]);

  const live = producerConnected(set.newest);
  // Live view starts by itself once a producer is connected, unless the archive is playing.
  useEffect(() => {
    if (playerReady && live && wantLive.current && (playerState.kind === 'idle' || playerState.kind === 'error')) void watchLive();
  }, [live, playerReady]);

  const watchLive = async () => {
    wantLive.current = true;
    try {
      await player.current?.playLive(kvs, name);
    } catch (err) {
      setPlayerState({ kind: 'error', message: errorText(err) });
    }
  };
  const playAt = async (ms: number) => {
    const i = set.containing(ms) ?? set.lowerBound(ms);
    const { starts } = set.arrays();
    const fragmentStart = starts[i];
    if (fragmentStart === undefined) return setPlayerState({ kind: 'error', message: `Nothing recorded at or after ${localTime(ms)}.` });
    wantLive.current = false;
    setCursor(ms);
    try {
      await player.current?.playFrom(kvs, name, Math.max(ms, fragmentStart), fragmentStart);
    } catch (err) {
      setPlayerState({ kind: 'error', message: errorText(err) });
    }
  };

  if (error && !info) {
    return (
      <section>
        <p class="error" role="alert">
          {error}
        </p>
        <a href="#/">Back to streams</a>
      </section>
    );
  }
  if (!info) return <p class="muted">Loading {name}…</p>;

  const playheadMs = playerState.kind === 'archive' ? shown.pdtMs : undefined;
  return (
    <section aria-labelledby="stream-title" class="stream-page">
      <div class="toolbar">
        <a href="#/" class="small">
          ← Streams
        </a>
        <h1 id="stream-title">{name}</h1>
        <span class={`badge ${live ? 'live' : ''}`} title="Derived from the newest fragment's arrival: KVS has no API that says whether a producer is connected">
          {live ? 'producer live' : 'no producer'}
        </span>
        <span class="spacer" />
        <button type="button" onClick={() => setEditing(true)}>
          Edit
        </button>
      </div>
      <dl class="facts small">
        <div>
          <dt>Status</dt>
          <dd>{info.Status}</dd>
        </div>
        <div>
          <dt>Media type</dt>
          <dd class="mono">{info.MediaType || '—'}</dd>
        </div>
        <div>
          <dt>Retention</dt>
          <dd>{retention(info.DataRetentionInHours)}</dd>
        </div>
        <div>
          <dt>Last fragment</dt>
          <dd>{set.newest ? ago(set.newest.serverMs) : '—'}</dd>
        </div>
        <div>
          <dt>Archive loaded</dt>
          <dd data-testid="archive-count" data-count={set.count}>
            {set.count.toLocaleString()} fragments{progress && progress.loadedMs < progress.totalMs ? ` (${Math.floor((100 * progress.loadedMs) / progress.totalMs)} %…)` : ''}
          </dd>
        </div>
      </dl>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {relays && relays.length > 0 && <RelayCard relays={relays} />}

      <div class="player card">
        <video ref={video} controls muted playsInline aria-label={`${name} video`} data-testid="video" />
        <div class="player-bar small" aria-live="polite">
          {playerState.kind === 'live' && (
            <span data-testid="delay" data-delay-ms={shown.delayMs !== undefined ? Math.round(shown.delayMs) : ''}>
              <span class="badge live">LIVE</span> {shown.delayMs !== undefined ? `${(shown.delayMs / 1000).toFixed(1)} s behind the camera` : 'starting…'}
            </span>
          )}
          {playerState.kind === 'archive' && (
            <span data-testid="pdt" data-pdt-ms={shown.pdtMs !== undefined ? Math.round(shown.pdtMs) : ''}>
              Archive · {shown.pdtMs !== undefined ? localTime(shown.pdtMs, true) : 'starting…'}
            </span>
          )}
          {playerState.kind === 'loading' && <span>Loading {playerState.what}…</span>}
          {playerState.kind === 'idle' && <span class="muted">{info.DataRetentionInHours ? 'Click the timeline to play the archive, or watch live.' : 'Watch live.'}</span>}
          {playerState.kind === 'error' && (
            <span class="error" role="alert">
              {playerState.message}
            </span>
          )}
          <span class="spacer" />
          <button type="button" onClick={watchLive} aria-pressed={playerState.kind === 'live'}>
            Watch live
          </button>
        </div>
      </div>

      {info.DataRetentionInHours ? (
        <>
          <Timeline
            kvs={kvs}
            stream={name}
            set={set}
            version={version}
            view={view}
            onView={setView}
            cursorMs={cursor}
            onCursor={setCursor}
            selection={selection}
            onSelect={setSelection}
            onPlay={playAt}
            playheadMs={playheadMs}
          />
          <ClipPanel kvs={kvs} name={name} set={set} version={version} selection={selection} onSelect={setSelection} cursor={cursor} />
        </>
      ) : (
        <p class="card muted">This stream keeps no archive (retention 0): live view only. Edit its retention to record.</p>
      )}
      <Elsewhere kvs={kvs} name={name} selection={selection} />
      {editing && (
        <EditDialog
          kvs={kvs}
          stream={info}
          onClose={() => setEditing(false)}
          onDone={() => {
            setEditing(false);
            kvs.control.send(new DescribeStreamCommand({ StreamName: name })).then((r) => setInfo(r.StreamInfo), (err) => setError(errorText(err)));
          }}
          onDeleted={() => {
            location.hash = '#/';
          }}
        />
      )}
    </section>
  );
}

function ClipPanel(props: { kvs: Kvs; name: string; set: FragmentSet; version: number; selection: Range | undefined; onSelect: (r: Range | undefined) => void; cursor: number | undefined }) {
  const { selection } = props;
  const [startText, setStartText] = useState('');
  const [endText, setEndText] = useState('');
  const [downloads, setDownloads] = useState<{ label: string; received: number; expected: number; done: boolean; error?: string }[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setStartText(selection ? localTime(selection.a, true) : '');
    setEndText(selection ? localTime(selection.b, true) : '');
  }, [selection?.a, selection?.b]);
  const parts = useMemo(() => (selection ? planClip(props.set, selection.a, selection.b) : []), [selection?.a, selection?.b, props.version]);
  const apply = () => {
    const a = parseLocalTime(startText);
    const b = parseLocalTime(endText);
    if (a !== undefined && b !== undefined && b > a) props.onSelect({ a, b });
  };
  const totalBytes = parts.reduce((n, p) => n + p.bytes, 0);
  const totalFragments = parts.reduce((n, p) => n + p.fragments, 0);

  const download = async () => {
    if (!parts.length) return;
    setBusy(true);
    const state = parts.map((p, k) => ({ label: parts.length > 1 ? `Part ${k + 1} of ${parts.length}` : 'Clip', received: 0, expected: p.bytes, done: false }) as (typeof downloads)[number]);
    setDownloads([...state]);
    try {
      const client = await props.kvs.archived(props.name, 'GET_CLIP');
      for (const [k, part] of parts.entries()) {
        try {
          const answer = await client.send(
            new GetClipCommand({
              StreamName: props.name,
              ClipFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(part.a), EndTimestamp: new Date(part.b) } },
            }),
          );
          if (!answer.Payload) throw new Error('GetClip returned no body');
          const reader = answer.Payload.transformToWebStream().getReader();
          const chunks: BlobPart[] = [];
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            chunks.push(value as Uint8Array<ArrayBuffer>);
            state[k]!.received += value.byteLength;
            setDownloads([...state]);
          }
          const blob = new Blob(chunks, { type: answer.ContentType ?? 'video/mp4' });
          const a = document.createElement('a');
          a.href = URL.createObjectURL(blob);
          a.download = `${props.name}-${localTime(part.a).replace(/[ :]/g, '-')}${parts.length > 1 ? `-part${k + 1}` : ''}.mp4`;
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
          state[k]!.done = true;
        } catch (err) {
          state[k]!.error = errorText(err);
        }
        setDownloads([...state]);
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card clip" aria-labelledby="clip-title">
      <h2 id="clip-title">Clip</h2>
      <p class="small muted">Drag on the timeline, press [ and ] at the cursor, or type the range (local time).</p>
      <div class="clip-range">
        <label>
          From
          <input value={startText} onInput={(e) => setStartText((e.currentTarget as HTMLInputElement).value)} onChange={apply} placeholder="YYYY-MM-DD hh:mm:ss" spellcheck={false} name="clip-start" />
        </label>
        <label>
          To
          <input value={endText} onInput={(e) => setEndText((e.currentTarget as HTMLInputElement).value)} onChange={apply} placeholder="YYYY-MM-DD hh:mm:ss" spellcheck={false} name="clip-end" />
        </label>
        <button type="button" onClick={apply}>
          Set range
        </button>
        {selection && (
          <button type="button" class="link" onClick={() => props.onSelect(undefined)}>
            Clear
          </button>
        )}
      </div>
      {selection && (
        <p class="small" data-testid="clip-plan">
          {span(selection.b - selection.a)} selected: {totalFragments} fragment{totalFragments === 1 ? '' : 's'}, about {bytes(totalBytes)}.
          {parts.length > 1 &&
            ` GetClip returns at most ${CLIP_MAX_FRAGMENTS} fragments, ${bytes(CLIP_MAX_BYTES)} or 24 hours per call, so this range downloads as ${parts.length} MP4 files, one after another.`}
          {parts.length === 0 && ' Nothing is recorded in this range.'}
        </p>
      )}
      <button type="button" class="primary" disabled={busy || parts.length === 0} onClick={download}>
        {busy ? 'Downloading…' : parts.length > 1 ? `Download ${parts.length} MP4 files` : 'Download MP4'}
      </button>
      {downloads.map((d) => (
        <div class="progress small" key={d.label}>
          <label>
            {d.label}: {bytes(d.received)} of about {bytes(d.expected)}
            {d.done ? ' — saved' : ''}
            <progress max={Math.max(d.expected, d.received)} value={d.received} />
          </label>
          {d.error && (
            <span class="error" role="alert">
              {d.error}
            </span>
          )}
        </div>
      ))}
    </section>
  );
}

function Elsewhere(props: { kvs: Kvs; name: string; selection: Range | undefined }) {
  const [urls, setUrls] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const { name, selection } = props;
  const make = async (kind: 'hls-live' | 'dash-live' | 'hls-range') => {
    setError(undefined);
    try {
      let url: string | undefined;
      if (kind === 'dash-live') {
        const client = await props.kvs.archived(name, 'GET_DASH_STREAMING_SESSION_URL');
        url = (await client.send(new GetDASHStreamingSessionURLCommand({ StreamName: name, PlaybackMode: 'LIVE' }))).DASHStreamingSessionURL;
      } else {
        const client = await props.kvs.archived(name, 'GET_HLS_STREAMING_SESSION_URL');
        const input =
          kind === 'hls-live'
            ? { StreamName: name, PlaybackMode: 'LIVE' as const }
            : {
                StreamName: name,
                PlaybackMode: 'ON_DEMAND' as const,
                HLSFragmentSelector: {
                  FragmentSelectorType: 'PRODUCER_TIMESTAMP' as const,
                  TimestampRange: { StartTimestamp: new Date(selection!.a), EndTimestamp: new Date(selection!.b) },
                },
              };
        url = (await client.send(new GetHLSStreamingSessionURLCommand(input))).HLSStreamingSessionURL;
      }
      if (url) setUrls((u) => ({ ...u, [kind]: url! }));
    } catch (err) {
      setError(errorText(err));
    }
  };
  const endpoint = props.kvs.endpoint;
  const q = shellQuote(name);
  const iso = (ms: number) => new Date(ms).toISOString();
  const commands = [
    `aws --endpoint-url ${endpoint} kinesisvideo describe-stream --stream-name ${q}`,
    `aws --endpoint-url ${endpoint} kinesis-video-archived-media get-hls-streaming-session-url --stream-name ${q} --playback-mode LIVE`,
    selection
      ? `aws --endpoint-url ${endpoint} kinesis-video-archived-media list-fragments --stream-name ${q} --fragment-selector 'FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={StartTimestamp=${iso(selection.a)},EndTimestamp=${iso(selection.b)}}'`
      : `aws --endpoint-url ${endpoint} kinesis-video-archived-media list-fragments --stream-name ${q}`,
    selection
      ? `aws --endpoint-url ${endpoint} kinesis-video-archived-media get-clip --stream-name ${q} --clip-fragment-selector 'FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={StartTimestamp=${iso(selection.a)},EndTimestamp=${iso(selection.b)}}' clip.mp4`
      : `# select a range on the timeline for the get-clip command`,
    `npx openkvs put-media --endpoint ${endpoint} --stream ${q} --realtime recording.mkv`,
  ].join('\n');
  return (
    <section class="card elsewhere" aria-labelledby="elsewhere-title">
      <h2 id="elsewhere-title">Use it elsewhere</h2>
      <p class="small muted">Session URLs play in any HLS/DASH player (VLC, ffplay, Safari) until they expire; the CLI commands do what this page does.</p>
      <div class="buttons">
        <button type="button" onClick={() => make('hls-live')}>
          HLS URL (live)
        </button>
        <button type="button" onClick={() => make('dash-live')}>
          DASH URL (live)
        </button>
        <button type="button" disabled={!selection} onClick={() => make('hls-range')}>
          HLS URL (selected range)
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {Object.entries(urls).map(([kind, url]) => (
        <Copyable key={kind} label={kind} text={url} />
      ))}
      <Copyable label="AWS CLI" text={commands} multiline />
    </section>
  );
}

function Copyable(props: { label: string; text: string; multiline?: boolean }) {
  const [copied, setCopied] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      // Not a secure context (plain http on another host): select it for Ctrl+C.
      ref.current?.select();
      document.execCommand('copy');
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <div class="copyable">
      <label class="small">
        {props.label}
        <textarea ref={ref} readOnly rows={props.multiline ? 6 : 2} value={props.text} spellcheck={false} class="mono" />
      </label>
      <button type="button" onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
