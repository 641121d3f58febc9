/**
 * `--config relays.yaml` (`openkvs relay --config`, `openkvs serve --relays`): many cameras, one
 * process. YAML because that is what people write camera lists in (MediaMTX, Frigate); parsed
 * with `yaml` (eemeli/yaml: no dependencies, YAML 1.2, so JSON files are read too), pinned.
 *
 *   endpoint: http://127.0.0.1:4570      # optional default for every relay
 *   relays:
 *     - stream: door
 *       source: rtsp://user:pass@192.168.1.20/stream1
 *       rtsp-transport: tcp              # optional, as the command-line flags
 *       stall: 10s
 *       buffer: 30s
 *       tags: { site: hq }
 *       create: true                   # CreateStream first unless it exists
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RelayOptions } from './relay.js';

/**
 * `yaml` is required when a config file is read, not imported with this module: a single-camera
 * `openkvs relay` never reads one, and the library's 0.75 MB of heap is what pushed that
 * process's old generation past the 8 MB at which V8 starts incremental marking, i.e. a full
 * GC every ~10 s (bench/README.md, relay.js). Its `node` export is CommonJS, so require() keeps
 * loadRelaysConfig synchronous.
 */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text);
}

export class RelayConfigError extends Error {}

const KEYS = new Set(['name', 'stream', 'source', 'endpoint', 'region', 'rtsp-transport', 'stall', 'buffer', 'session-max', 'tags', 'loop', 'realtime', 'create']);

export function loadRelaysConfig(file: string, defaults: { endpoint: string; parseDuration: (text: string, what: string) => number }): RelayOptions[] {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RelayConfigError(`${file}: ${(err as Error).message}`);
  }
  const top = (doc ?? {}) as { endpoint?: unknown; relays?: unknown };
  if (typeof top !== 'object' || !Array.isArray(top.relays) || top.relays.length === 0) throw new RelayConfigError(`${file}: expected a "relays:" list`);
  const endpoint = typeof top.endpoint === 'string' ? top.endpoint : defaults.endpoint;
  const names = new Set<string>();
  return top.relays.map((entry: unknown, i: number) => {
    const where = `${file}: relays[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new RelayConfigError(`${where}: expected a mapping`);
    const e = entry as Record<string, unknown>;
    for (const key of Object.keys(e)) if (!KEYS.has(key)) throw new RelayConfigError(`${where}: unknown key "${key}"`);
    const text = (key: string): string | undefined => {
      const v = e[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'string' && typeof v !== 'number') throw new RelayConfigError(`${where}: "${key}" must be text`);
      return String(v);
    };
    const stream = text('stream');
    const source = text('source');
    if (!stream || !source) throw new RelayConfigError(`${where}: "stream" and "source" are required`);
    const name = text('name') ?? stream;
    if (names.has(name)) throw new RelayConfigError(`${where}: two relays named "${name}" (give each a "name")`);
    names.add(name);
    const duration = (key: string, fallback: string) => defaults.parseDuration(text(key) ?? fallback, `${where}: ${key}`);
    const transport = text('rtsp-transport');
    if (transport !== undefined && transport !== 'tcp' && transport !== 'udp') throw new RelayConfigError(`${where}: rtsp-transport must be tcp or udp`);
    const tags = e['tags'];
    if (tags !== undefined && (typeof tags !== 'object' || tags === null || Array.isArray(tags))) throw new RelayConfigError(`${where}: tags must be a mapping`);
    return {
      name,
      stream,
      source,
      endpoint: text('endpoint') ?? endpoint,
      ...(text('region') !== undefined && { region: text('region')! }),
      ...(transport !== undefined && { rtspTransport: transport }),
      stallMs: duration('stall', '10s'),
      bufferMs: duration('buffer', '30s'),
      ...(e['session-max'] !== undefined && { maxSessionMs: Math.min(duration('session-max', '40m'), 45 * 60_000) }),
      tags: Object.entries((tags ?? {}) as Record<string, unknown>).map(([k, v]) => ({ name: k, value: String(v) })),
      ...(e['loop'] === true && { loop: true }),
      ...(e['realtime'] === true && { realtime: true }),
      ...(e['create'] === true && { create: true }),
    };
  });
}
