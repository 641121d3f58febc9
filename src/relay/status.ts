/**
 * How relays show themselves: on a TTY one status line per relay refreshed in place (at most
 * every 500 ms); otherwise (systemd, a log file) a line per relay when its state or last error
 * changes and once a minute; with `--json` a JSON line per relay whenever anything but the rates
 * changed, for log collectors.
 */
import type { RelayStatus } from './relay.js';

const PERIODIC_MS = 60_000;

export function statusLine(s: RelayStatus): string {
  const parts = [`${s.name}: ${s.state}`, `${s.fps.toFixed(1)} fps`, `${s.bitrateKbps} kbit/s`, `${s.fragmentsPersisted} persisted`];
  if (s.fragmentsBuffered > 1) parts.push(`${s.fragmentsBuffered} buffered`);
  if (s.fragmentsDropped > 0) parts.push(`${s.fragmentsDropped} dropped`);
  if (s.lastError) parts.push(`last error: ${s.lastError}`);
  return parts.join(' | ');
}

export function statusJson(s: RelayStatus): string {
  return JSON.stringify({ time: new Date().toISOString(), ...s });
}

export class StatusWriter {
  private readonly last = new Map<string, { key: string; at: number }>();
  private lastWrite = 0;
  private lastCount = 0;
  private pending: NodeJS.Timeout | undefined;
  private latest: readonly RelayStatus[] = [];

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly json: boolean,
  ) {}

  /** On a TTY every relay's line is redrawn together; otherwise each relay writes its own lines. */
  get redrawsAll(): boolean {
    return this.out.isTTY === true && !this.json;
  }

  update(statuses: readonly RelayStatus[]): void {
    this.latest = statuses;
    if (this.json) {
      for (const s of statuses) if (this.changed(s, `${s.state}|${s.fragmentsPersisted}|${s.fragmentsBuffered}|${s.fragmentsDropped}|${s.sessions}|${s.sourceRestarts}|${s.lastError}`)) this.out.write(`${statusJson(s)}\n`);
      return;
    }
    if (!this.out.isTTY) {
      for (const s of statuses) if (this.changed(s, `${s.state}|${s.lastError}`, PERIODIC_MS)) this.out.write(`${new Date().toISOString()} ${statusLine(s)}\n`);
      return;
    }
    const now = Date.now();
    if (now - this.lastWrite < 500) {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.update(this.latest);
      }, 500);
      return;
    }
    this.lastWrite = now;
    const up = this.lastCount > 1 ? `\x1b[${this.lastCount - 1}A` : '';
    this.out.write(`\r${up}${statuses.map((s) => `\x1b[K${statusLine(s)}`).join('\n')}`);
    this.lastCount = statuses.length;
  }

  end(): void {
    if (this.pending) clearTimeout(this.pending);
    if (this.out.isTTY && !this.json) this.out.write('\n');
  }

  private changed(s: RelayStatus, key: string, everyMs = Infinity): boolean {
    const prev = this.last.get(s.name);
    const now = Date.now();
    if (prev && prev.key === key && now - prev.at < everyMs) return false;
    this.last.set(s.name, { key, at: now });
    return true;
  }
}
