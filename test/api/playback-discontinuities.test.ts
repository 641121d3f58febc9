/**
 * Streams as cameras make them: gaps, a codec private data change and back, and uploads faster
 * than real time, read through HLS and DASH sessions.
 * - HLS LIVE_REPLAY windows sliding across the stream (a fragment added as each duration elapses, gaps skipped): EXT-X-DISCONTINUITY-SEQUENCE in every
 *   DiscontinuityMode and container against an independent count, and the RFC 8216 §4.3.3.3
 *   invariant (a segment keeps its discontinuity sequence number from one reload to the next).
 * - DASH: segments laid end to end (never overlapping, gaps closed), one Period per track
 *   header with its own init segment, kvs:ts truthful, and each media segment's tfdt where its
 *   S element says.
 */
import { ListFragmentsCommand, GetDASHStreamingSessionURLCommand, GetHLSStreamingSessionURLCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { concatBytes } from '../../src/formats/bytes/read.js';
import { describeTrackHeader } from '../../src/formats/codecs/track-info.js';
import { archive, fixturePath } from '../unit/formats/isobmff/mkv-source.js';
import { archivedMediaClient, createStream, getResource, putDocument, resolveUrl } from '../helpers/playback.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cluster, prng, randomBytes, streamHeader } from '../helpers/synthetic-mkv.js';

const START_S = 1_700_000_000;
const START_MS = START_S * 1000;
const FRAME_MS = 40;
const FRAMES = 25; // 1-s fragments

/**
 * The stream: fragment start offsets (ms from START_MS) and which codec private data (0 or 1)
 * each has. Gaps after fragments 4 (4 s), 10 (90 s: a camera offline), 14 (30 ms: under KVS's
 * 50 ms threshold) and 19 (2 s); fragments 7–11 have the other codec private data.
 */
const GAPS_MS: Record<number, number> = { 4: 4000, 10: 90_000, 14: 30, 19: 2000 };
const LAYOUT: Array<{ offsetMs: number; cpd: 0 | 1 }> = [];
for (let i = 0, at = 0; i < 24; i++) {
  LAYOUT.push({ offsetMs: at, cpd: i >= 7 && i <= 11 ? 1 : 0 });
  at += FRAMES * FRAME_MS + (GAPS_MS[i] ?? 0);
}

let kvs: TestServer;
let hls: KinesisVideoArchivedMediaClient;
let dash: KinesisVideoArchivedMediaClient;
let clockOffsetMs = 0;
/** The stream's fragments in producer-time order, with their number, times and duration. */
let fragments: Array<{ number: string; producerMs: number; serverMs: number; durationMs: number; cpd: 0 | 1 }>;

/** One PutMedia per run of fragments sharing a codec private data, as a reconfigured camera sends them. */
async function sendLayout(stream: string, codecPrivates: readonly Uint8Array[]): Promise<void> {
  const rng = prng(7);
  let run: typeof LAYOUT = [];
  const flush = async () => {
    const first = run[0];
    if (!first) return;
    const clusters = run.map((f) =>
      cluster({ timecode: f.offsetMs - first.offsetMs, frames: Array.from({ length: FRAMES }, () => randomBytes(rng, 200)), frameMs: FRAME_MS, knownSize: true }),
    );
    await putDocument(kvs, stream, concatBytes([streamHeader({ codecPrivate: codecPrivates[first.cpd]! }), ...clusters]), (START_MS + first.offsetMs) / 1000);
    run = [];
  };
  for (const fragment of LAYOUT) {
    if (run.length > 0 && run[0]!.cpd !== fragment.cpd) await flush();
    run.push(fragment);
  }
  await flush();
}

before(async () => {
  kvs = await startTestServer({}, { clock: { nowMs: () => Date.now() + clockOffsetMs } });
  const cpdOf = (fixture: string) => describeTrackHeader(archive(new Uint8Array(readFileSync(fixturePath(fixture)))).header).tracks[0]!.codecPrivate!;
  await createStream(kvs, 'camera');
  await sendLayout('camera', [cpdOf('h264.mkv'), cpdOf('h264-bframes.mkv')]);
  hls = await archivedMediaClient(kvs, 'camera', 'GET_HLS_STREAMING_SESSION_URL');
  dash = await archivedMediaClient(kvs, 'camera', 'GET_DASH_STREAMING_SESSION_URL');
  const listed = await hls.send(
    new ListFragmentsCommand({
      StreamName: 'camera',
      FragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 600_000) } },
    }),
  );
  fragments = (listed.Fragments ?? [])
    .map((f) => ({ number: f.FragmentNumber!, producerMs: f.ProducerTimestamp!.getTime(), serverMs: f.ServerTimestamp!.getTime(), durationMs: Number(f.FragmentLengthInMilliseconds), cpd: 0 as 0 | 1 }))
    .sort((a, b) => a.producerMs - b.producerMs);
  assert.equal(fragments.length, LAYOUT.length);
  fragments.forEach((f, i) => {
    assert.equal(f.producerMs, START_MS + LAYOUT[i]!.offsetMs);
    f.cpd = LAYOUT[i]!.cpd;
  });
});
after(async () => {
  hls?.destroy();
  dash?.destroy();
  await kvs?.dispose();
});

const lines = (text: string) => text.trimEnd().split('\n');
const tagValue = (text: string, tag: string) => Number(lines(text).find((l) => l.startsWith(`${tag}:`))?.slice(tag.length + 1) ?? 0);
const fragmentNumbersOf = (playlist: string) =>
  lines(playlist)
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((u) => new URL(u, 'http://x/').searchParams.get('FragmentNumber')!);

/** Independently: is the boundary into fragment k (k ≥ 1) a discontinuity in this mode and container? */
function discontinuous(k: number, mode: string, fmp4: boolean): boolean {
  const previous = fragments[k - 1]!;
  const fragment = fragments[k]!;
  if (mode === 'ALWAYS') return true;
  if (fmp4 && previous.cpd !== fragment.cpd) return true;
  return mode === 'ON_DISCONTINUITY' && Math.abs(fragment.producerMs - (previous.producerMs + previous.durationMs)) > 50;
}

/** Each listed segment's discontinuity sequence number (RFC 8216 §6.2.1: the tag count before it plus the playlist's value). */
function segmentDiscontinuityNumbers(playlist: string): Map<string, number> {
  let number = tagValue(playlist, '#EXT-X-DISCONTINUITY-SEQUENCE');
  const out = new Map<string, number>();
  for (const line of lines(playlist)) {
    if (line === '#EXT-X-DISCONTINUITY') number++;
    else if (line !== '' && !line.startsWith('#')) out.set(new URL(line, 'http://x/').searchParams.get('FragmentNumber')!, number);
  }
  return out;
}

describe('HLS LIVE_REPLAY windows across gaps and a codec private data change', () => {
  for (const container of ['FRAGMENTED_MP4', 'MPEG_TS'] as const) {
    for (const mode of ['ALWAYS', 'NEVER', 'ON_DISCONTINUITY'] as const) {
      test(`${container}, ${mode}: EXT-X-DISCONTINUITY-SEQUENCE counts what slid out, in every window`, async () => {
        const { HLSStreamingSessionURL: url } = await hls.send(
          new GetHLSStreamingSessionURLCommand({
            StreamName: 'camera',
            PlaybackMode: 'LIVE_REPLAY',
            ContainerFormat: container,
            DiscontinuityMode: mode,
            MaxMediaPlaylistFragmentResults: 3,
            HLSFragmentSelector: { FragmentSelectorType: 'PRODUCER_TIMESTAMP', TimestampRange: { StartTimestamp: new Date(START_MS) } },
          }),
        );
        const master = await getResource(url!);
        const playlistUrl = resolveUrl(url!, lines(master.text).find((l) => l !== '' && !l.startsWith('#'))!);
        const seen = new Map<string, number>();
        let windows = 0;
        // A window ending at each fragment from the fourth on. LIVE_REPLAY adds a fragment as the
        // duration of the one before it elapses (gaps skipped, as KVS documents), so fragment k is
        // listed once the durations of fragments 0 … k−1 have elapsed since the session began.
        for (let last = 3; last < fragments.length; last++) {
          clockOffsetMs = fragments.slice(0, last).reduce((sum, f) => sum + f.durationMs, 0) + 1;
          let playlist: string;
          try {
            playlist = (await getResource(playlistUrl)).text;
          } finally {
            clockOffsetMs = 0;
          }
          const mediaSequence = tagValue(playlist, '#EXT-X-MEDIA-SEQUENCE');
          assert.equal(mediaSequence, last - 2, playlist);
          assert.deepEqual(fragmentNumbersOf(playlist), fragments.slice(last - 2, last + 1).map((f) => f.number));
          let expected = 0;
          for (let k = 1; k <= mediaSequence; k++) if (discontinuous(k, mode, container === 'FRAGMENTED_MP4')) expected++;
          if (mode === 'ALWAYS') expected = mediaSequence; // the tag before position 0 counts too
          assert.equal(tagValue(playlist, '#EXT-X-DISCONTINUITY-SEQUENCE'), expected, `window ending at ${last}:\n${playlist}`);
          for (const [number, sequence] of segmentDiscontinuityNumbers(playlist)) {
            const before = seen.get(number);
            // The first segment shows no tag unless ALWAYS; its number counts the boundary into it already.
            if (before !== undefined) assert.equal(sequence, before, `segment ${number} changed discontinuity sequence:\n${playlist}`);
            seen.set(number, sequence);
          }
          windows++;
        }
        assert.ok(windows >= 10, `${windows} windows`);
      });
    }
  }
});

const attributesOf = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w:]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replaceAll("&amp;", "&")]));

/** tfdt's baseMediaDecodeTime of an fMP4 media segment (ISO/IEC 14496-12 §8.8.12). */
function tfdtOf(segment: Buffer): number {
  const at = segment.indexOf('tfdt');
  assert.ok(at > 0, 'a tfdt box');
  const version = segment[at + 4]!;
  return version === 1 ? Number(segment.readBigUInt64BE(at + 8)) : segment.readUInt32BE(at + 8);
}

describe('DASH across gaps and a codec private data change', () => {
  for (const selector of ['PRODUCER_TIMESTAMP', 'SERVER_TIMESTAMP'] as const) {
    test(`ON_DEMAND, ${selector}: segments end to end, a Period per codec private data, kvs:ts truthful, tfdt where S@t says`, async () => {
      const { DASHStreamingSessionURL: url } = await dash.send(
        new GetDASHStreamingSessionURLCommand({
          StreamName: 'camera',
          PlaybackMode: 'ON_DEMAND',
          DisplayFragmentTimestamp: 'ALWAYS',
          DisplayFragmentNumber: 'ALWAYS',
          DASHFragmentSelector: { FragmentSelectorType: selector, TimestampRange: selector === 'SERVER_TIMESTAMP' ? { StartTimestamp: new Date(Date.now() - 3_600_000), EndTimestamp: new Date(Date.now() - 1) } : { StartTimestamp: new Date(START_MS), EndTimestamp: new Date(START_MS + 600_000) } },
        }),
      );
      const mpd = (await getResource(url!)).text;
      const ordered = selector === 'SERVER_TIMESTAMP' ? [...fragments].sort((a, b) => a.serverMs - b.serverMs || (a.number < b.number ? -1 : 1)) : fragments;
      // The server timestamps of one upload are milliseconds apart: overlapping, were they the timeline.
      if (selector === 'SERVER_TIMESTAMP') assert.ok(ordered[1]!.serverMs - ordered[0]!.serverMs < ordered[0]!.durationMs);
      const periods = mpd.split('<Period ').slice(1);
      const cpdRuns = ordered.reduce((n, f, i) => n + (i === 0 || f.cpd !== ordered[i - 1]!.cpd ? 1 : 0), 0);
      assert.equal(periods.length, cpdRuns, mpd);
      let expectedStart = 0;
      let index = 0;
      for (const period of periods) {
        const template = attributesOf(/<SegmentTemplate [^>]*>/.exec(period)![0]);
        const periodStartMs = Number(/^id="[^"]*" start="PT([\d.]+)S"/.exec(period)![1]) * 1000;
        assert.equal(Number(template['presentationTimeOffset']), expectedStart, 'presentationTimeOffset: the media time at the Period start');
        assert.equal(periodStartMs, expectedStart, 'Period@start: where the previous Period ended');
        assert.equal(Number(template['startNumber']), index);
        assert.match(template['initialization']!, /SequenceNumber=\d+/);
        let number = Number(template['startNumber']);
        for (const s of period.matchAll(/<S [^>]*\/>/g)) {
          const attributes = attributesOf(s[0]);
          const fragment = ordered[index]!;
          const start = attributes['t'] === undefined ? expectedStart : Number(attributes['t']);
          assert.equal(start, expectedStart, `segment ${index} starts where the previous ended`);
          assert.equal(Number(attributes['d']), fragment.durationMs);
          assert.equal(attributes['kvs:fn'], fragment.number);
          assert.equal(Number(attributes['kvs:ts']), selector === 'SERVER_TIMESTAMP' ? fragment.serverMs : fragment.producerMs);
          if (index % 7 === 0 || index === ordered.length - 1) {
            const media = template['media']!.replace('$Number$', String(number));
            const segment = await getResource(resolveUrl(url!, media));
            assert.equal(segment.status, 200);
            assert.equal(tfdtOf(segment.bytes), expectedStart * 90, `segment ${index}: tfdt at 90 kHz`);
          }
          expectedStart += fragment.durationMs;
          index++;
          number++;
        }
        const init = await getResource(resolveUrl(url!, template['initialization']!));
        assert.equal(init.status, 200);
      }
      assert.equal(index, ordered.length);
      const total = /mediaPresentationDuration="PT([\d.]+)S"/.exec(mpd)![1];
      assert.equal(Number(total) * 1000, expectedStart);
    });
  }
});
