/**
 * The archive timeline: one <canvas>, summarised per pixel column (recorded, partly recorded,
 * gap) from the FragmentSet, never a DOM node per fragment. Zoom from a minute to 7 days (buttons,
 * wheel, + and -), hover for the time and a still (GetImages), click or Enter to play from that
 * instant, drag (or shift+arrows) to select a range for a clip, arrows to step.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Kvs } from './api';
import { thumbnail } from './details';
import type { FragmentSet } from './fragments';
import { localTime, span } from './format';

export const MIN_SPAN_MS = 60_000;
export const MAX_SPAN_MS = 7 * 86_400_000;
export const ZOOMS: readonly [string, number][] = [
  ['1 min', 60_000],
  ['10 min', 600_000],
  ['1 h', 3_600_000],
  ['6 h', 6 * 3_600_000],
  ['1 d', 86_400_000],
  ['7 d', 7 * 86_400_000],
];

export interface View {
  /** Right edge; `follow` keeps it at now. */
  readonly endMs: number;
  readonly spanMs: number;
  readonly follow: boolean;
}

export interface Range {
  readonly a: number;
  readonly b: number;
}

interface Props {
  kvs: Kvs;
  stream: string;
  set: FragmentSet;
  version: number;
  view: View;
  onView: (view: View) => void;
  cursorMs: number | undefined;
  onCursor: (ms: number) => void;
  selection: Range | undefined;
  onSelect: (range: Range | undefined) => void;
  onPlay: (ms: number) => void;
  /** Where the player is, drawn as a line. */
  playheadMs: number | undefined;
}

const TICKS = [1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export function Timeline(props: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const wrap = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [hover, setHover] = useState<{ x: number; ms: number; recorded: boolean } | undefined>();
  const [thumb, setThumb] = useState<{ ms: number; url: string | undefined } | undefined>();
  const drag = useRef<{ x: number; ms: number; moved: boolean } | undefined>();
  const [dragRange, setDragRange] = useState<Range | undefined>();
  const { view } = props;
  const t1 = view.endMs;
  const t0 = t1 - view.spanMs;
  const msAt = (x: number) => t0 + (x / width) * view.spanMs;
  const xAt = (ms: number) => ((ms - t0) / view.spanMs) * width;

  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const observer = new ResizeObserver(() => setWidth(Math.max(100, Math.floor(el.clientWidth))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  // Draw.
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const dpr = devicePixelRatio || 1;
    const height = 64;
    c.width = Math.round(width * dpr);
    c.height = Math.round(height * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, width, height);
    g.fillStyle = css('--gap');
    g.fillRect(0, 8, width, 32);
    const cols = props.set.columns(t0, t1, width);
    const full = css('--rec');
    const part = css('--rec-part');
    // Runs of equal columns as one rectangle each.
    for (let x = 0; x < width; ) {
      const v = cols[x]!;
      let end = x + 1;
      while (end < width && cols[end] === v) end++;
      if (v) {
        g.fillStyle = v === 2 ? full : part;
        g.fillRect(x, 8, end - x, 32);
      }
      x = end;
    }
    // Future (right of now).
    const nowX = xAt(Date.now());
    if (nowX < width) {
      g.fillStyle = css('--future');
      g.fillRect(Math.max(0, nowX), 8, width - Math.max(0, nowX), 32);
    }
    const sel = dragRange ?? props.selection;
    if (sel) {
      g.fillStyle = css('--sel');
      const a = xAt(sel.a);
      const b = xAt(sel.b);
      g.fillRect(a, 4, Math.max(2, b - a), 40);
    }
    // Ticks.
    const step = TICKS.find((t) => (t / view.spanMs) * width >= 90) ?? 86_400_000;
    g.fillStyle = css('--muted');
    g.strokeStyle = css('--line');
    g.font = '11px system-ui, sans-serif';
    g.textBaseline = 'top';
    const offset = new Date().getTimezoneOffset() * 60_000;
    for (let t = Math.ceil((t0 - offset) / step) * step + offset; t < t1; t += step) {
      const x = Math.round(xAt(t)) + 0.5;
      g.beginPath();
      g.moveTo(x, 40);
      g.lineTo(x, 46);
      g.stroke();
      const label = localTime(t).slice(step >= 86_400_000 ? 5 : step >= 3_600_000 ? 5 : 11, step >= 60_000 ? 16 : 19);
      g.fillText(label, Math.min(x + 2, width - 60), 48);
    }
    if (props.playheadMs !== undefined) {
      g.fillStyle = css('--play');
      g.fillRect(Math.round(xAt(props.playheadMs)) - 1, 2, 2, 44);
    }
    if (props.cursorMs !== undefined) {
      g.strokeStyle = css('--fg');
      g.setLineDash([3, 3]);
      const x = Math.round(xAt(props.cursorMs)) + 0.5;
      g.beginPath();
      g.moveTo(x, 2);
      g.lineTo(x, 46);
      g.stroke();
      g.setLineDash([]);
    }
  });

  // Hover still, once the pointer rests on a recorded spot.
  useEffect(() => {
    if (!hover?.recorded) return;
    const timer = setTimeout(() => {
      const ms = hover.ms;
      thumbnail(props.kvs, props.stream, ms, 90, 'PRODUCER_TIMESTAMP').then(
        (url) => setThumb({ ms, url }),
        () => setThumb({ ms, url: undefined }),
      );
    }, 150);
    return () => clearTimeout(timer);
  }, [hover?.ms, hover?.recorded]);

  const pointerX = (e: MouseEvent) => e.clientX - (canvas.current?.getBoundingClientRect().left ?? 0);

  const onPointerMove = (e: PointerEvent) => {
    const x = pointerX(e);
    const ms = msAt(x);
    setHover({ x, ms, recorded: props.set.containing(ms) !== undefined });
    if (drag.current) {
      if (Math.abs(x - drag.current.x) > 4) drag.current.moved = true;
      if (drag.current.moved) setDragRange({ a: Math.min(drag.current.ms, ms), b: Math.max(drag.current.ms, ms) });
    }
  };
  const onPointerDown = (e: PointerEvent) => {
    const x = pointerX(e);
    drag.current = { x, ms: msAt(x), moved: false };
    canvas.current?.setPointerCapture(e.pointerId);
  };
  const onPointerUp = (e: PointerEvent) => {
    const d = drag.current;
    drag.current = undefined;
    if (!d) return;
    const ms = msAt(pointerX(e));
    if (d.moved) {
      props.onSelect({ a: Math.min(d.ms, ms), b: Math.max(d.ms, ms) });
      setDragRange(undefined);
    } else {
      props.onCursor(ms);
      props.onPlay(ms);
    }
  };
  const zoom = (factor: number, aroundMs: number) => {
    const spanMs = Math.min(MAX_SPAN_MS, Math.max(MIN_SPAN_MS, view.spanMs * factor));
    const ratio = (t1 - aroundMs) / view.spanMs;
    const endMs = Math.min(Date.now(), aroundMs + ratio * spanMs);
    props.onView({ spanMs, endMs, follow: view.follow && factor < 1 ? true : endMs >= Date.now() - 1000 });
  };
  const onWheel = (e: WheelEvent) => {
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.25 : 0.8, msAt(pointerX(e)));
  };
  const onKey = (e: KeyboardEvent) => {
    const cursor = props.cursorMs ?? t1 - view.spanMs / 2;
    const step = e.shiftKey ? view.spanMs / 10 : view.spanMs / 60;
    const move = (ms: number) => {
      e.preventDefault();
      props.onCursor(ms);
      if (ms < t0 || ms > t1) props.onView({ ...view, endMs: Math.min(Date.now(), ms + view.spanMs / 2), follow: false });
    };
    switch (e.key) {
      case 'ArrowLeft':
        return move(cursor - step);
      case 'ArrowRight':
        return move(Math.min(Date.now(), cursor + step));
      case 'PageUp':
        e.preventDefault();
        return props.onView({ ...view, endMs: t1 - view.spanMs, follow: false });
      case 'PageDown':
        e.preventDefault();
        return props.onView({ ...view, endMs: Math.min(Date.now(), t1 + view.spanMs), follow: t1 + view.spanMs >= Date.now() });
      case '+':
      case '=':
        e.preventDefault();
        return zoom(0.5, cursor);
      case '-':
        e.preventDefault();
        return zoom(2, cursor);
      case 'Enter':
      case ' ':
        e.preventDefault();
        return props.onPlay(cursor);
      case '[':
        e.preventDefault();
        return props.onSelect({ a: cursor, b: Math.max(cursor, props.selection?.b ?? cursor) });
      case ']':
        e.preventDefault();
        return props.onSelect({ a: Math.min(cursor, props.selection?.a ?? cursor), b: cursor });
      default:
    }
  };

  const cursor = props.cursorMs;
  const showThumb = hover && thumb && Math.abs(thumb.ms - hover.ms) < view.spanMs / width * 8;
  return (
    <div class="timeline">
      <div class="toolbar small">
        <span role="group" aria-label="Zoom" class="seg">
          {ZOOMS.map(([label, ms]) => (
            <button type="button" key={label} aria-pressed={Math.abs(view.spanMs - ms) < 1} onClick={() => props.onView({ spanMs: ms, endMs: view.follow ? Date.now() : Math.min(Date.now(), t1), follow: view.follow })}>
              {label}
            </button>
          ))}
        </span>
        <span role="group" aria-label="Move" class="seg">
          <button type="button" aria-label="Earlier" onClick={() => props.onView({ ...view, endMs: t1 - view.spanMs / 2, follow: false })}>
            ◀
          </button>
          <button type="button" aria-label="Later" onClick={() => props.onView({ ...view, endMs: Math.min(Date.now(), t1 + view.spanMs / 2), follow: t1 + view.spanMs / 2 >= Date.now() })}>
            ▶
          </button>
          <button type="button" aria-pressed={view.follow} onClick={() => props.onView({ ...view, endMs: Date.now(), follow: true })}>
            Now
          </button>
        </span>
        <span class="muted">
          {localTime(t0)} – {localTime(t1).slice(11)} ({span(view.spanMs)})
        </span>
      </div>
      <div
        class="track"
        ref={wrap}
        tabIndex={0}
        role="slider"
        aria-label="Archive timeline: arrows step, shift+arrows step further, + and - zoom, Enter plays from the cursor, [ and ] set the clip range"
        aria-valuemin={t0}
        aria-valuemax={t1}
        aria-valuenow={cursor ?? t1}
        aria-valuetext={cursor !== undefined ? `${localTime(cursor)}${props.set.containing(cursor) !== undefined ? ', recorded' : ', not recorded'}` : 'no cursor'}
        onKeyDown={onKey}
      >
        <canvas
          ref={canvas}
          style={{ width: `${width}px`, height: '64px' }}
          onPointerMove={onPointerMove}
          onPointerDown={onPointerDown}
          onPointerUp={onPointerUp}
          onPointerLeave={() => setHover(undefined)}
          onWheel={onWheel}
          data-t0={t0}
          data-t1={t1}
        />
        {hover && (
          <div class="hover" style={{ left: `${Math.min(Math.max(0, hover.x - 80), width - 170)}px` }} aria-hidden="true">
            {hover.recorded && showThumb && thumb.url && <img src={thumb.url} alt="" width={160} height={90} class="hover-thumb" />}
            <div>{localTime(hover.ms)}</div>
            <div class="muted">{hover.recorded ? 'click to play from here' : 'not recorded'}</div>
          </div>
        )}
      </div>
      <p class="legend small muted">
        <span class="sw rec" /> recorded <span class="sw part" /> partly <span class="sw gap" /> gap · drag to select a clip range
      </p>
    </div>
  );
}
