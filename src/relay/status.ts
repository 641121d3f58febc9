/**
 * How a relay shows itself: one status line refreshed in place on a TTY (written at most every
 * 500 ms), a line per change otherwise, or JSON lines (`--json`) for log collectors.
 */
import type { RelayStatus } from './relay.js';

export function statusLine(s: RelayStatus): string {
  const parts = [
    `${s.name}: ${s.state}`,
    `${s.fps.toFixed(1)} fps`,
    `${s.bitrateKbps} kbit/s`,
    `${s.fragmentsPersisted} persisted`,
  ];
  if (s.fragmentsBuffered > 1) parts.push(`${s.fragmentsBuffered} buffered`);
  if (s.fragmentsDropped > 0) parts.push(`${s.fragmentsDropped} dropped`);
  if (s.lastError) parts.push(`last error: ${s.lastError}`);
  return parts.join(' | ');
}

export function statusJson(s: RelayStatus): string {
  return JSON.stringify({ time: new Date().toISOString(), ...s });
}

export class StatusWriter {
  private lastLine = '';
  private lastWrite = 0;
  private pending: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly json: boolean,
  ) {}

  update(statuses: readonly RelayStatus[]): void {
    if (this.json) {
      for (const s of statuses) {
        const line = statusJson(s);
        const key = JSON.stringify({ ...s, fps: 0, bitrateKbps: 0 });
        if (key !== this.lastLine) this.out.write(`${line}\n`);
        this.lastLine = key;
      }
      return;
    }
    const now = Date.now();
    if (now - this.lastWrite < 500) {
      this.pending ??= setTimeout(() => {
        this.pending = undefined;
        this.update(statuses);
      }, 500);
      return;
    }
    this.lastWrite = now;
    const text = statuses.map(statusLine).join('\n');
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[K${text}`);
    } else if (text !== this.lastLine) {
      this.out.write(`${text}\n`);
    }
    this.lastLine = text;
  }

  end(): void {
    if (this.pending) clearTimeout(this.pending);
    if (this.out.isTTY && !this.json) this.out.write('\n');
  }
}
