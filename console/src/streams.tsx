/**
 * Streams page: every stream (ListStreams, all pages) as one row each. Rows render at once from
 * ListStreams alone; the per-stream extras (tags, newest fragment, live or not, thumbnail) load
 * only for rows scrolled into view, a few requests at a time, so 1,000 streams draw in well
 * under a second and cost a handful of calls.
 */
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  TagStreamCommand,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
  type StreamInfo,
} from '@aws-sdk/client-kinesis-video';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { errorText, type Kvs } from './api';
import { limited, newestFragment, producerConnected, thumbnail } from './details';
import type { Newest } from './fragments';
import { ago, markPainted, retention, streamHref } from './format';
import { RelayLine, useRelays } from './relays';
import type { RelayInfo } from './api';

export function StreamsPage(props: { kvs: Kvs }) {
  const [streams, setStreams] = useState<StreamInfo[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [filter, setFilter] = useState('');
  const [dialog, setDialog] = useState<{ kind: 'create' } | { kind: 'edit'; stream: StreamInfo } | undefined>();
  const [reload, setReload] = useState(0);
  const { relays } = useRelays(props.kvs);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      try {
        const all: StreamInfo[] = [];
        let nextToken: string | undefined;
        do {
          const page = await props.kvs.control.send(new ListStreamsCommand({ MaxResults: 10000, ...(nextToken ? { NextToken: nextToken } : {}) }));
          all.push(...(page.StreamInfoList ?? []));
          nextToken = page.NextToken ?? undefined;
        } while (nextToken);
        if (!cancelled) {
          setStreams(all);
          setError(undefined);
        }
      } catch (err) {
        if (!cancelled) setError(errorText(err));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [props.kvs, reload]);

  useEffect(() => {
    if (streams) markPainted('openkvs:streams-drawn');
  }, [streams]);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return !streams ? [] : f ? streams.filter((s) => s.StreamName?.toLowerCase().includes(f)) : streams;
  }, [streams, filter]);

  const done = () => {
    setDialog(undefined);
    setReload((n) => n + 1);
  };

  return (
    <section aria-labelledby="streams-title">
      <div class="toolbar">
        <h1 id="streams-title">Streams</h1>
        <span class="muted" aria-live="polite" data-testid="stream-count">
          {streams ? `${shown.length === streams.length ? streams.length : `${shown.length} of ${streams.length}`} stream${streams.length === 1 ? '' : 's'}` : ''}
        </span>
        <span class="spacer" />
        <label class="filter">
          <span class="visually-hidden">Filter streams by name</span>
          <input type="search" placeholder="Filter by name" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} />
        </label>
        <button type="button" class="primary" onClick={() => setDialog({ kind: 'create' })}>
          Create stream
        </button>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!streams && !error && <p class="muted">Loading streams…</p>}
      {streams && streams.length === 0 && (
        <div class="card empty">
          <p>No streams yet. Create one here, or with the AWS CLI:</p>
          <pre>aws --endpoint-url {location.origin} kinesisvideo create-stream --stream-name cam1 --data-retention-in-hours 24</pre>
        </div>
      )}
      {streams && streams.length > 0 && (
        <div class="streams" role="table" aria-label="Streams" data-rows={shown.length}>
          <div class="row head" role="row">
            <span role="columnheader">Picture</span>
            <span role="columnheader">Name</span>
            <span role="columnheader">Status</span>
            <span role="columnheader">Media type</span>
            <span role="columnheader">Retention</span>
            <span role="columnheader">Last fragment</span>
            <span role="columnheader">Tags</span>
            <span role="columnheader">
              <span class="visually-hidden">Actions</span>
            </span>
          </div>
          {shown.map((s) => (
            // Remounted after an edit here, so that tags and the rest are fetched again.
            <StreamRow
              key={`${s.StreamARN}#${reload}`}
              kvs={props.kvs}
              stream={s}
              relays={relays?.filter((r) => r.StreamName === s.StreamName) ?? []}
              onEdit={() => setDialog({ kind: 'edit', stream: s })}
            />
          ))}
        </div>
      )}
      {dialog?.kind === 'create' && <CreateDialog kvs={props.kvs} onClose={() => setDialog(undefined)} onDone={done} />}
      {dialog?.kind === 'edit' && <EditDialog kvs={props.kvs} stream={dialog.stream} onClose={() => setDialog(undefined)} onDone={done} />}
    </section>
  );
}

/** How often a row in view asks for its newest fragment again. */
const REFRESH_MS = 5000;

interface RowDetails {
  tags?: Record<string, string>;
  newest?: Newest | null;
  thumb?: string | null;
  error?: string;
}

/**
 * One observer for every row (not one each): calls a row's callback the first time it scrolls
 * into view, and keeps `inView` current for the rows' refreshes.
 */
const visibleCallbacks = new WeakMap<Element, () => void>();
const inView = new WeakSet<Element>();
let rowObserver: IntersectionObserver | undefined;
function observe(el: Element, onFirstVisible: () => void): () => void {
  rowObserver ??= new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) {
          inView.delete(entry.target);
          continue;
        }
        inView.add(entry.target);
        visibleCallbacks.get(entry.target)?.();
        visibleCallbacks.delete(entry.target);
      }
    },
    { rootMargin: '200px 0px' },
  );
  visibleCallbacks.set(el, onFirstVisible);
  rowObserver.observe(el);
  return () => {
    rowObserver?.unobserve(el);
    visibleCallbacks.delete(el);
    inView.delete(el);
  };
}

function useFirstVisible(onVisible: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Observed only after the rows' first frame is painted: the list shows at once, the extras
    // of the rows in view follow.
    let stop: (() => void) | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => {
        if (ref.current) stop = observe(ref.current, onVisible);
      }, 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      stop?.();
    };
  }, []);
  return ref;
}

function StreamRow(props: { kvs: Kvs; stream: StreamInfo; relays: RelayInfo[]; onEdit: () => void }) {
  const { stream } = props;
  const name = stream.StreamName ?? '';
  const [details, setDetails] = useState<RowDetails>({});
  const [, tick] = useState(0);
  const ref = useFirstVisible(() => {
    void limited(async () => {
      try {
        const [tags, newest] = await Promise.all([
          props.kvs.control.send(new ListTagsForStreamCommand({ StreamName: name })).then((r) => r.Tags ?? {}),
          stream.DataRetentionInHours ? newestFragment(props.kvs, name) : Promise.resolve(undefined),
        ]);
        setDetails({ tags, newest: newest ?? null });
        const thumb = newest ? await thumbnail(props.kvs, name, newest.serverMs, 72).catch(() => undefined) : undefined;
        setDetails({ tags, newest: newest ?? null, thumb: thumb ?? null });
      } catch (err) {
        setDetails({ error: errorText(err) });
      }
    });
  });
  // Whether a producer is connected changes while the page is open: the newest fragment is asked
  // again every few seconds, for the rows in view only (a thousand rows are not polled).
  const loaded = details.newest !== undefined;
  useEffect(() => {
    if (!loaded || !stream.DataRetentionInHours) return;
    const timer = setInterval(() => {
      if (!ref.current || !inView.has(ref.current) || document.hidden) return;
      limited(() => newestFragment(props.kvs, name)).then(
        (newest) => setDetails((d) => ({ ...d, newest: newest ?? null })),
        () => undefined,
      );
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [loaded]);
  // "12 s ago" keeps counting.
  useEffect(() => {
    if (!details.newest) return;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [details.newest]);

  const live = details.newest ? producerConnected(details.newest) : false;
  const tags = details.tags ? Object.entries(details.tags) : [];
  return (
    <div class="row" role="row" ref={ref} data-stream={name}>
      <span role="cell" class="thumb">
        {details.thumb ? <img src={details.thumb} alt={`Recent picture from ${name}`} width={128} height={72} /> : <span class="nothumb" aria-hidden="true" />}
      </span>
      <span role="cell" class="name">
        <a href={streamHref(name)}>{name}</a>
      </span>
      <span role="cell">
        <span class={`status ${stream.Status === 'ACTIVE' ? 'ok' : ''}`}>{stream.Status}</span>
      </span>
      <span role="cell" class="mono small" data-label="Media type">
        {stream.MediaType || '—'}
      </span>
      <span role="cell" data-label="Retention">
        {retention(stream.DataRetentionInHours)}
      </span>
      <span role="cell" data-label="Last fragment">
        {details.error ? (
          <span class="error small">{details.error}</span>
        ) : details.newest ? (
          <>
            <span class={`badge ${live ? 'live' : ''}`} title="Derived from the newest fragment's arrival time: KVS has no API that says whether a producer is connected">
              {live ? 'producer live' : 'idle'}
            </span>{' '}
            <time dateTime={new Date(details.newest.serverMs).toISOString()}>{ago(details.newest.serverMs)}</time>
          </>
        ) : details.newest === null ? (
          <span class="muted">none in the last hour</span>
        ) : (
          <span class="muted">…</span>
        )}
        {props.relays.map((r) => (
          <RelayLine key={r.Name} relay={r} />
        ))}
      </span>
      <span role="cell" class="tags" data-label="Tags">
        {tags.map(([k, v]) => (
          <span class="tag" key={k}>
            {k}={v}
          </span>
        ))}
      </span>
      <span role="cell" class="actions">
        <button type="button" onClick={props.onEdit} aria-label={`Edit ${name}`}>
          Edit
        </button>
      </span>
    </div>
  );
}

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog ref={ref} onClose={props.onClose} aria-labelledby="dialog-title">
      <div class="dialog-head">
        <h2 id="dialog-title">{props.title}</h2>
        <button type="button" class="link" onClick={() => ref.current?.close()} aria-label="Close">
          ✕
        </button>
      </div>
      {props.children}
    </dialog>
  );
}

/** "key=value" per line (or comma-separated) → tags; throws on a line without "=". */
function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const part of text.split(/[\n,]/)) {
    const item = part.trim();
    if (!item) continue;
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`Tag "${item}" needs the form key=value.`);
    tags[item.slice(0, eq).trim()] = item.slice(eq + 1).trim();
  }
  return tags;
}

const MEDIA_TYPES = ['video/h264', 'video/h265', 'video/h264,audio/aac', 'video/h265,audio/aac', 'audio/aac'];

function CreateDialog(props: { kvs: Kvs; onClose: () => void; onDone: () => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const tags = parseTags(String(form.get('tags') ?? ''));
      const mediaType = String(form.get('mediaType') ?? '').trim();
      await props.kvs.control.send(
        new CreateStreamCommand({
          StreamName: String(form.get('name') ?? ''),
          DataRetentionInHours: Number(form.get('retention') ?? 0),
          ...(mediaType ? { MediaType: mediaType } : {}),
          ...(Object.keys(tags).length ? { Tags: tags } : {}),
        }),
      );
      props.onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title="Create stream" onClose={props.onClose}>
      <form onSubmit={submit} class="form">
        <label>
          Name
          <input name="name" required autofocus spellcheck={false} />
        </label>
        <label>
          Media type <span class="muted">(optional)</span>
          <input name="mediaType" list="media-types" value="video/h264" spellcheck={false} />
        </label>
        <datalist id="media-types">
          {MEDIA_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <label>
          Retention in hours <span class="muted">(0: no archive, live only)</span>
          <input name="retention" type="number" min={0} value={24} required />
        </label>
        <label>
          Tags <span class="muted">(key=value, one per line)</span>
          <textarea name="tags" rows={3} spellcheck={false} />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function EditDialog(props: { kvs: Kvs; stream: StreamInfo; onClose: () => void; onDone: () => void; onDeleted?: () => void }) {
  const name = props.stream.StreamName ?? '';
  const [tags, setTags] = useState<Record<string, string> | undefined>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [confirm, setConfirm] = useState('');
  useEffect(() => {
    props.kvs.control.send(new ListTagsForStreamCommand({ StreamName: name })).then(
      (r) => setTags(r.Tags ?? {}),
      (err) => setError(errorText(err)),
    );
  }, []);
  const current = async () => {
    const { StreamInfo: info } = await props.kvs.control.send(new DescribeStreamCommand({ StreamName: name }));
    if (!info?.Version) throw new Error('DescribeStream returned no version');
    return info;
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const wantedTags = parseTags(String(form.get('tags') ?? ''));
      const hours = Number(form.get('retention'));
      let info = await current();
      const had = info.DataRetentionInHours ?? 0;
      if (hours !== had) {
        await props.kvs.control.send(
          new UpdateDataRetentionCommand({
            StreamName: name,
            CurrentVersion: info.Version!,
            Operation: hours > had ? 'INCREASE_DATA_RETENTION' : 'DECREASE_DATA_RETENTION',
            DataRetentionChangeInHours: Math.abs(hours - had),
          }),
        );
        info = await current();
      }
      const mediaType = String(form.get('mediaType') ?? '').trim();
      if (mediaType !== (info.MediaType ?? '')) {
        await props.kvs.control.send(new UpdateStreamCommand({ StreamName: name, CurrentVersion: info.Version!, MediaType: mediaType }));
      }
      const removed = Object.keys(tags ?? {}).filter((k) => !(k in wantedTags));
      if (removed.length) await props.kvs.control.send(new UntagStreamCommand({ StreamName: name, TagKeyList: removed }));
      const changed = Object.fromEntries(Object.entries(wantedTags).filter(([k, v]) => tags?.[k] !== v));
      if (Object.keys(changed).length) await props.kvs.control.send(new TagStreamCommand({ StreamName: name, Tags: changed }));
      props.onDone();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const info = await current();
      await props.kvs.control.send(new DeleteStreamCommand({ StreamARN: info.StreamARN!, CurrentVersion: info.Version! }));
      (props.onDeleted ?? props.onDone)();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog title={`Edit ${name}`} onClose={props.onClose}>
      <form onSubmit={save} class="form">
        <label>
          Media type
          <input name="mediaType" list="media-types" value={props.stream.MediaType ?? ''} spellcheck={false} />
        </label>
        <datalist id="media-types">
          {MEDIA_TYPES.map((t) => (
            <option key={t} value={t} />
          ))}
        </datalist>
        <label>
          Retention in hours
          <input name="retention" type="number" min={0} value={props.stream.DataRetentionInHours ?? 0} required />
        </label>
        <label>
          Tags <span class="muted">(key=value, one per line)</span>
          <textarea
            name="tags"
            rows={4}
            spellcheck={false}
            disabled={!tags}
            value={tags ? Object.entries(tags).map(([k, v]) => `${k}=${v}`).join('\n') : 'loading…'}
          />
        </label>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <div class="buttons">
          <button type="submit" class="primary" disabled={busy || !tags}>
            Save
          </button>
        </div>
      </form>
      <fieldset class="danger">
        <legend>Delete stream</legend>
        <p class="small">This deletes the stream and its whole archive. Type its name to confirm.</p>
        <label>
          <span class="visually-hidden">Type {name} to confirm</span>
          <input value={confirm} onInput={(e) => setConfirm((e.currentTarget as HTMLInputElement).value)} placeholder={name} spellcheck={false} aria-label={`Type ${name} to confirm deletion`} />
        </label>
        <button type="button" class="danger" disabled={busy || confirm !== name} onClick={remove}>
          Delete {name}
        </button>
      </fieldset>
    </Dialog>
  );
}
