/** Relay states as Prometheus text (GET /metrics of `serve --relays`). */
import type { RelayStatus } from './relay.js';

const STATES = ['starting', 'connecting', 'live', 'buffering', 'reconnecting', 'stopping', 'stopped', 'failed'] as const;

export function relayMetrics(statuses: readonly RelayStatus[]): string {
  const label = (s: RelayStatus) => `relay="${esc(s.name)}",stream="${esc(s.stream)}"`;
  const lines: string[] = [];
  const gauge = (name: string, help: string, value: (s: RelayStatus) => number, type = 'gauge') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const s of statuses) lines.push(`${name}{${label(s)}} ${value(s)}`);
  };
  lines.push('# HELP openkvs_relay_state 1 for the state the relay is in', '# TYPE openkvs_relay_state gauge');
  for (const s of statuses) for (const st of STATES) lines.push(`openkvs_relay_state{${label(s)},state="${st}"} ${s.state === st ? 1 : 0}`);
  gauge('openkvs_relay_fps', 'video frames per second over the last 10 s', (s) => s.fps);
  gauge('openkvs_relay_bitrate_kbps', 'source bitrate over the last 10 s', (s) => s.bitrateKbps);
  gauge('openkvs_relay_fragments_persisted_total', 'fragments acked PERSISTED', (s) => s.fragmentsPersisted, 'counter');
  gauge('openkvs_relay_fragments_buffered', 'fragments waiting for PERSISTED', (s) => s.fragmentsBuffered);
  gauge('openkvs_relay_fragments_dropped_total', 'fragments dropped from a full buffer', (s) => s.fragmentsDropped, 'counter');
  gauge('openkvs_relay_source_restarts_total', 'ffmpeg restarts', (s) => s.sourceRestarts, 'counter');
  gauge('openkvs_relay_persist_latency_ms', 'last PERSISTED fragment: ms from its last byte sent to the ack', (s) => s.persistLatencyMs ?? 0);
  gauge('openkvs_relay_sessions_total', 'PutMedia sessions opened', (s) => s.sessions, 'counter');
  return `${lines.join('\n')}\n`;
}

function esc(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
