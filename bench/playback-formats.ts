/**
 * The pure playback building blocks on their own, each against a baseline measured in the same
 * run (the machine is shared and noisy, so ratios travel better than absolute figures):
 *
 * Subject and baseline run alternately and each figure's ratio is the median of per-run ratios.
 *
 * - TS muxing of a 2 Mbit/s-camera-sized segment (2 s, 30 fps, 8.3 KB H.264 access units in
 *   4 NAL units, plus 44.1 kHz AAC): MB/s of payload, vs copying the same payload bytes once
 *   into one new buffer (the floor: the muxer copies each byte once too).
 * - An ON_DEMAND HLS media playlist of 5000 fragments (program date-times, discontinuities) and
 *   a DASH MPD of 5000 fragments with kvs:ts / kvs:fn, built and UTF-8 encoded: ms per build,
 *   p50 and p99, vs building and encoding the 5000 segment URLs alone.
 * - Session token verification: µs per verify, vs one bare HMAC-SHA256 of the token's bytes.
 *
 *   npx tsc -p tsconfig.json; node dist/bench/playback-formats.js [--runs 41]
 */
import { createHmac } from 'node:crypto';
import { dashManifest } from '../src/formats/manifests/dash.js';
import { hlsMediaPlaylist } from '../src/formats/manifests/hls.js';
import { muxTsSegment, type TsSample, type TsTrack } from '../src/formats/mpeg-ts/muxer.js';
import { SessionTokens } from '../src/playback/session-token.js';
import type { HlsSession } from '../src/playback/session.js';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 41;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Comparison {
  /** Milliseconds per call, one sample per run. */
  readonly subject: number[];
  readonly baseline: number[];
  /** subject time / baseline time, per run: both measured back to back, so load swings cancel out. */
  readonly ratios: number[];
}

function timeOnce(fn: () => unknown, batch: number): number {
  const start = process.hrtime.bigint();
  for (let k = 0; k < batch; k++) fn();
  return Number(process.hrtime.bigint() - start) / 1e6 / batch;
}

/** Subject and baseline timed alternately, run after run, after a warm-up of both. */
function compare(subject: () => unknown, baseline: () => unknown, batch = 1): Comparison {
  for (let k = 0; k < Math.max(20, batch); k++) {
    subject();
    baseline();
  }
  const result: Comparison = { subject: [], baseline: [], ratios: [] };
  for (let run = 0; run < RUNS; run++) {
    const a = timeOnce(subject, batch);
    const b = timeOnce(baseline, batch);
    result.subject.push(a);
    result.baseline.push(b);
    result.ratios.push(a / b);
  }
  return result;
}

function segment(): { tracks: TsTrack[]; samples: TsSample[]; payloadBytes: number } {
  const fill = (n: number, seed: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);
  const nal = (type: number, size: number) => {
    const unit = fill(size, type);
    unit[0] = type;
    return [0, 0, (size >> 8) & 0xff, size & 0xff, ...unit];
  };
  const tracks: TsTrack[] = [
    { codec: 'H264', trackNumber: 1, timescale: 1000, nalLengthSize: 4, parameterSets: [fill(20, 7), fill(6, 8)] },
    { codec: 'AAC', trackNumber: 2, timescale: 1000, audioObjectType: 2, samplingFrequencyIndex: 4, channelConfiguration: 2 },
  ];
  const samples: TsSample[] = [];
  let audioAt = 0;
  for (let f = 0; f < 60; f++) {
    const pts = Math.round((f * 1000) / 30);
    // SEI + three slices per access unit; the first one an IDR.
    const au = Uint8Array.from([...nal(0x06, 40), ...nal(f === 0 ? 0x65 : 0x41, 2800), ...nal(0x41, 2800), ...nal(0x41, 2600)]);
    samples.push({ trackNumber: 1, pts, dts: pts, key: f === 0, payload: au });
    for (; audioAt <= pts; audioAt += 1024000 / 44100) {
      samples.push({ trackNumber: 2, pts: Math.round(audioAt), dts: Math.round(audioAt), key: true, payload: fill(370, 3) });
    }
  }
  const payloadBytes = samples.reduce((sum, s) => sum + s.payload.length, 0);
  return { tracks, samples, payloadBytes };
}

function benchTs(): void {
  const { tracks, samples, payloadBytes } = segment();
  const copyOnce = () => {
    const out = new Uint8Array(payloadBytes);
    let at = 0;
    for (const s of samples) {
      out.set(s.payload, at);
      at += s.payload.length;
    }
    return out;
  };
  const result = compare(() => muxTsSegment({ tracks, samples }), copyOnce, 5);
  const outBytes = muxTsSegment({ tracks, samples }).reduce((sum, c) => sum + c.length, 0);
  const mbps = (ms: number) => payloadBytes / 1e6 / (ms / 1000);
  console.log(`TS mux, ${(payloadBytes / 1e6).toFixed(2)} MB payload/segment → ${(outBytes / 1e6).toFixed(2)} MB TS (+${((outBytes / payloadBytes - 1) * 100).toFixed(1)} %), medians of ${RUNS} runs:`);
  console.log(`  muxTsSegment ${mbps(percentile(result.subject, 50)).toFixed(0)} MB/s; one plain copy of the payload ${mbps(percentile(result.baseline, 50)).toFixed(0)} MB/s; time ratio mux/copy ${percentile(result.ratios, 50).toFixed(2)}`);
}

const FN = (k: number) => `9${String(k).padStart(46, '0')}`;
const TOKEN = 'x'.repeat(190);

function benchManifests(): void {
  const fragments = Array.from({ length: 5000 }, (_, k) => ({ fragmentNumber: FN(k), timestampMs: 1.7e12 + 2000 * k + (k % 7), durationMs: 2000 - (k % 3), timelineStartMs: 2000 * k }));
  // Encoded to UTF-8, as a response would be: a string is only done once it is flat bytes.
  const hls = () =>
    Buffer.from(hlsMediaPlaylist({ sessionToken: TOKEN, containerFormat: 'FRAGMENTED_MP4', trackNumber: 1, playbackMode: 'ON_DEMAND', discontinuityMode: 'ON_DISCONTINUITY', programDateTime: true, mediaSequence: 0, fragments }));
  const dash = () =>
    Buffer.from(
      dashManifest({
        sessionToken: TOKEN,
        presentation: { type: 'static' },
        tracks: [
          { trackNumber: 1, contentType: 'video', codecs: 'avc1.64001f', bandwidth: 2e6, width: 1280, height: 720, frameRate: 30 },
          { trackNumber: 2, contentType: 'audio', codecs: 'mp4a.40.2', bandwidth: 64000, audioSamplingRate: 44100, audioChannels: 2 },
        ],
        fragments,
        startNumber: 1,
        displayFragmentTimestamp: true,
        displayFragmentNumber: true,
      }),
    );
  const urls = () => Buffer.from(fragments.map((f) => `getMP4MediaFragment.mp4?FragmentNumber=${f.fragmentNumber}&SessionToken=${TOKEN}&TrackNumber=1\n`).join(''));
  console.log(`Manifests of 5000 fragments, built and UTF-8 encoded (${RUNS} runs):`);
  for (const [name, build] of [
    ['HLS media playlist (PDT, ON_DISCONTINUITY)', hls],
    ['DASH MPD (2 tracks, kvs:ts + kvs:fn)', dash],
  ] as const) {
    const result = compare(build, urls);
    console.log(`  ${name}: p50 ${percentile(result.subject, 50).toFixed(2)} ms, p99 ${percentile(result.subject, 99).toFixed(2)} ms; time ratio to the 5000 URLs alone ${percentile(result.ratios, 50).toFixed(1)} (URLs alone: p50 ${percentile(result.baseline, 50).toFixed(2)} ms)`);
  }
}

function benchTokens(): void {
  const secret = Buffer.alloc(32, 1);
  const tokens = new SessionTokens(secret);
  const session: HlsSession = {
    protocol: 'HLS', sessionId: '0123456789abcdef', streamId: 1, streamName: 'cam-1', anchorMs: 1.7e12,
    playbackMode: 'LIVE', fragmentSelectorType: 'SERVER_TIMESTAMP', startTimestampMs: undefined, endTimestampMs: undefined, displayFragmentTimestamp: 'NEVER',
    maxFragmentResults: 5, createdAtMs: 1.7e12, expiresAtMs: 1.7e12 + 3e5, containerFormat: 'FRAGMENTED_MP4', discontinuityMode: 'ALWAYS',
  };
  const token = tokens.issue(session);
  const bytes = Buffer.from(token, 'base64url');
  const result = compare(
    () => tokens.verify(token, 1.7e12),
    () => createHmac('sha256', secret).update(bytes).digest(),
    2000,
  );
  console.log(`Session token (${token.length} chars): verify ${(percentile(result.subject, 50) * 1000).toFixed(2)} µs; one bare HMAC-SHA256 of its bytes ${(percentile(result.baseline, 50) * 1000).toFixed(2)} µs; time ratio ${percentile(result.ratios, 50).toFixed(2)}`);
}

benchTs();
benchManifests();
benchTokens();
