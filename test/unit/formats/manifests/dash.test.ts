/** The MPD builder, read back with a real namespace-aware XML parser. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dashManifest, frameRateValue, KVS_DASH_NAMESPACE, type DashFragment, type DashManifestInput } from '../../../../src/formats/manifests/dash.js';
import { skipUnlessPresent } from '../../../helpers/process.js';
import { allElements, localName, parseXml, PYTHON, type XmlElement } from './xml.js';

const MPD_NS = '{urn:mpeg:dash:schema:mpd:2011}';
const FN = (k: number) => `9134385233318143239268206260774392014626${String(k).padStart(7, '0')}`;

function fragments(...spec: Array<[timelineStartMs: number, durationMs: number]>): DashFragment[] {
  return spec.map(([timelineStartMs, durationMs], k) => ({ fragmentNumber: FN(k), timestampMs: 1_700_000_000_000 + timelineStartMs, timelineStartMs, durationMs }));
}

const base: DashManifestInput = {
  sessionToken: 'CiAX&z<2>"~',
  presentation: { type: 'static' },
  tracks: [
    { trackNumber: 1, contentType: 'video', codecs: 'avc1.64000c', bandwidth: 80000.5, width: 160, height: 120, frameRate: 15 },
    { trackNumber: 2, contentType: 'audio', codecs: 'mp4a.40.2', bandwidth: 24000, audioSamplingRate: 44100, audioChannels: 1 },
  ],
  fragments: fragments([0, 2000], [2000, 2000], [4000, 2000]),
  startNumber: 1,
  displayFragmentTimestamp: false,
  displayFragmentNumber: false,
};

const byLocalName = (root: XmlElement, name: string) => allElements(root).filter((e) => localName(e.tag) === name);

describe('DASH MPD', { skip: skipUnlessPresent(PYTHON, 'python3 (the XML parser of these tests)') }, () => {
  test('ON_DEMAND: a static MPD, one Period, an AdaptationSet per track with template and timeline', () => {
    const mpd = parseXml(dashManifest(base));
    assert.equal(mpd.tag, `${MPD_NS}MPD`);
    assert.equal(mpd.attributes['type'], 'static');
    assert.equal(mpd.attributes['mediaPresentationDuration'], 'PT6S');
    assert.equal(mpd.attributes['profiles'], 'urn:mpeg:dash:profile:isoff-live:2011');
    assert.equal(mpd.attributes['minBufferTime'], 'PT2S');
    assert.equal(mpd.attributes['availabilityStartTime'], undefined);
    assert.equal(byLocalName(mpd, 'Period').length, 1);
    const sets = byLocalName(mpd, 'AdaptationSet');
    assert.deepEqual(
      sets.map((s) => [s.attributes['contentType'], s.attributes['mimeType']]),
      [
        ['video', 'video/mp4'],
        ['audio', 'audio/mp4'],
      ],
    );
    const [video, audio] = byLocalName(mpd, 'Representation');
    assert.deepEqual(video?.attributes, { id: '1', bandwidth: '80001', codecs: 'avc1.64000c', width: '160', height: '120', frameRate: '15' });
    assert.deepEqual(audio?.attributes, { id: '2', bandwidth: '24000', codecs: 'mp4a.40.2', audioSamplingRate: '44100' });
    assert.equal(byLocalName(mpd, 'AudioChannelConfiguration')[0]?.attributes['value'], '1');
    const [template] = byLocalName(mpd, 'SegmentTemplate');
    const token = encodeURIComponent(base.sessionToken);
    assert.deepEqual(template?.attributes, {
      timescale: '1000',
      presentationTimeOffset: '0',
      startNumber: '1',
      initialization: `getMP4InitFragment.mp4?SessionToken=${token}&TrackNumber=1`,
      media: `getMP4MediaFragment.mp4?FragmentNumber=$Number$&SessionToken=${token}&TrackNumber=1`,
    });
    // Three contiguous 2 s segments fold into one S with a repeat count.
    assert.deepEqual(
      byLocalName(mpd, 'S').map((s) => s.attributes),
      [
        { t: '0', d: '2000', r: '2' },
        { t: '0', d: '2000', r: '2' },
      ],
    );
  });

  test('kvs:ts and kvs:fn on every S element, in the kvs namespace', () => {
    const text = dashManifest({ ...base, displayFragmentTimestamp: true, displayFragmentNumber: true });
    const segments = byLocalName(parseXml(text), 'S').slice(0, 3);
    assert.deepEqual(
      segments.map((s) => s.attributes),
      [0, 1, 2].map((k) => ({
        ...(k === 0 ? { t: '0' } : {}),
        d: '2000',
        [`{${KVS_DASH_NAMESPACE}}ts`]: String(1_700_000_000_000 + 2000 * k),
        [`{${KVS_DASH_NAMESPACE}}fn`]: FN(k),
      })),
    );
    const onlyNumbers = byLocalName(parseXml(dashManifest({ ...base, displayFragmentNumber: true })), 'S')[1];
    assert.deepEqual(Object.keys(onlyNumbers?.attributes ?? {}), ['d', `{${KVS_DASH_NAMESPACE}}fn`]);
  });

  test('a gap in the timeline restates @t; unequal durations are not folded', () => {
    const mpd = parseXml(dashManifest({ ...base, tracks: [base.tracks![0]!], fragments: fragments([0, 2000], [2000, 1900], [5000, 2000], [7000, 2000]) }));
    assert.deepEqual(
      byLocalName(mpd, 'S').map((s) => s.attributes),
      [{ t: '0', d: '2000' }, { d: '1900' }, { t: '5000', d: '2000', r: '1' }],
    );
    assert.equal(mpd.attributes['mediaPresentationDuration'], 'PT9S');
  });

  test('LIVE: a dynamic MPD with availability, publish time, update period, window and delay', () => {
    const mpd = parseXml(
      dashManifest({
        ...base,
        startNumber: 41,
        presentationTimeOffsetMs: 80000,
        presentation: {
          type: 'dynamic',
          availabilityStartTimeMs: Date.UTC(2024, 0, 2, 3, 4, 5, 600),
          publishTimeMs: Date.UTC(2024, 0, 2, 3, 6, 0, 0),
          minimumUpdatePeriodMs: 1000,
          timeShiftBufferDepthMs: 10000,
          suggestedPresentationDelayMs: 4500,
        },
      }),
    );
    assert.equal(mpd.attributes['type'], 'dynamic');
    assert.equal(mpd.attributes['availabilityStartTime'], '2024-01-02T03:04:05.600Z');
    assert.equal(mpd.attributes['publishTime'], '2024-01-02T03:06:00.000Z');
    assert.equal(mpd.attributes['minimumUpdatePeriod'], 'PT1S');
    assert.equal(mpd.attributes['timeShiftBufferDepth'], 'PT10S');
    assert.equal(mpd.attributes['suggestedPresentationDelay'], 'PT4.5S');
    assert.equal(mpd.attributes['mediaPresentationDuration'], undefined);
    // The server's clock for the player: no time server on the internet needed.
    assert.deepEqual(byLocalName(mpd, 'UTCTiming')[0]?.attributes, { schemeIdUri: 'urn:mpeg:dash:utc:direct:2014', value: '2024-01-02T03:06:00.000Z' });
    const template = byLocalName(mpd, 'SegmentTemplate')[0];
    assert.equal(template?.attributes['startNumber'], '41');
    assert.equal(template?.attributes['presentationTimeOffset'], '80000');
  });

  test('G.711 audio passes its codec string through', () => {
    const mpd = parseXml(dashManifest({ ...base, tracks: [base.tracks![0]!, { trackNumber: 2, contentType: 'audio', codecs: 'alaw', bandwidth: 64000, audioSamplingRate: 8000, audioChannels: 1 }] }));
    assert.equal(byLocalName(mpd, 'Representation')[1]?.attributes['codecs'], 'alaw');
  });

  test('refuses an MPD with no track or no fragment', () => {
    assert.throws(() => dashManifest({ ...base, tracks: [] }), RangeError);
    assert.throws(() => dashManifest({ ...base, fragments: [] }), RangeError);
  });
});

describe('DASH frame rates', () => {
  test('integers, NTSC ratios and other ratios; never a decimal', () => {
    assert.equal(frameRateValue(15), '15');
    assert.equal(frameRateValue(30000 / 1001), '30000/1001');
    assert.equal(frameRateValue(29.97), '30000/1001');
    assert.equal(frameRateValue(12.5), '25/2');
    assert.equal(frameRateValue(15.02), '751/50');
    assert.throws(() => frameRateValue(0), RangeError);
  });

  test('several Periods: each with its tracks, startNumber and init SequenceNumber; later ones start where their first segment sits', () => {
    const video = base.tracks![0]!;
    const wide = { ...video, width: 1280, height: 720, codecs: 'avc1.64001f' };
    const all = fragments([10_000, 2000], [12_000, 2000], [14_000, 2000], [16_000, 2000]);
    const mpd = parseXml(
      dashManifest({
        ...base,
        tracks: undefined,
        fragments: undefined,
        periods: [
          { id: 'h1', tracks: [video], fragments: all.slice(0, 2), startNumber: 5, initSequenceNumber: 1 },
          { id: 'h2', tracks: [wide], fragments: all.slice(2), startNumber: 7, initSequenceNumber: 2 },
        ],
        presentationTimeOffsetMs: 10_000,
      }),
    );
    assert.equal(mpd.attributes['mediaPresentationDuration'], 'PT8S');
    const periods = byLocalName(mpd, 'Period');
    assert.deepEqual(periods.map((p) => [p.attributes['id'], p.attributes['start']]), [['h1', 'PT0S'], ['h2', 'PT4S']]);
    const templates = byLocalName(mpd, 'SegmentTemplate');
    assert.deepEqual(templates.map((t) => [t.attributes['presentationTimeOffset'], t.attributes['startNumber']]), [['10000', '5'], ['14000', '7']]);
    assert.match(templates[1]!.attributes['initialization']!, /&TrackNumber=1&SequenceNumber=2$/);
    assert.deepEqual(byLocalName(mpd, 'Representation').map((r) => r.attributes['width']), ['160', '1280']);
    assert.deepEqual(byLocalName(periods[1]!, 'S').map((e) => [e.attributes['t'], e.attributes['d'], e.attributes['r']]), [['14000', '2000', '1']]);
  });
});
