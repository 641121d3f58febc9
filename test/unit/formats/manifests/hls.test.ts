import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hlsMasterPlaylist, hlsMediaPlaylist, type HlsMediaPlaylistInput, type HlsPlaylistFragment } from '../../../../src/formats/manifests/hls.js';
import { dashSessionUrl, hlsSessionUrl } from '../../../../src/formats/manifests/resources.js';

const TOKEN = 'CiBF-abc_123~';
const FN = (k: number) => `91343852333181432392682062607743920146264${String(k).padStart(6, '0')}`;

function fragments(...spec: Array<[startMs: number, durationMs: number]>): HlsPlaylistFragment[] {
  return spec.map(([timestampMs, durationMs], k) => ({ fragmentNumber: FN(k), timestampMs, durationMs }));
}

const base: HlsMediaPlaylistInput = {
  sessionToken: TOKEN,
  containerFormat: 'FRAGMENTED_MP4',
  trackNumber: 1,
  playbackMode: 'ON_DEMAND',
  discontinuityMode: 'NEVER',
  programDateTime: false,
  mediaSequence: 0,
  fragments: fragments([1643353235931, 1857], [1643353237788, 2000]),
};

const lines = (text: string) => text.trimEnd().split('\n');

describe('HLS master playlist', () => {
  test('fMP4 video + audio: the audio track is a rendition with its own media playlist', () => {
    const text = hlsMasterPlaylist({
      sessionToken: TOKEN,
      containerFormat: 'FRAGMENTED_MP4',
      video: { trackNumber: 1, codecs: 'avc1.4d4029', width: 1280, height: 720, frameRate: 15 },
      audio: { trackNumber: 2, codecs: 'mp4a.40.2', channels: 1 },
      bandwidth: 1953543.2,
    });
    assert.deepEqual(lines(text), [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="audio",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="1",URI="getHLSMediaPlaylist.m3u8?SessionToken=${encodeURIComponent(TOKEN)}&TrackNumber=2"`,
      '#EXT-X-STREAM-INF:BANDWIDTH=1953544,CODECS="avc1.4d4029,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=15.000,AUDIO="audio"',
      `getHLSMediaPlaylist.m3u8?SessionToken=${encodeURIComponent(TOKEN)}&TrackNumber=1`,
    ]);
  });

  test('MPEG-TS: one variant, both codecs, one playlist without TrackNumber', () => {
    const text = hlsMasterPlaylist({
      sessionToken: TOKEN,
      containerFormat: 'MPEG_TS',
      video: { trackNumber: 1, codecs: 'hvc1.1.6.L93.B0', width: 160, height: 120, frameRate: 29.97002997 },
      audio: { trackNumber: 2, codecs: 'mp4a.40.2' },
      bandwidth: 500000,
    });
    assert.deepEqual(lines(text).slice(3), ['#EXT-X-STREAM-INF:BANDWIDTH=500000,CODECS="hvc1.1.6.L93.B0,mp4a.40.2",RESOLUTION=160x120,FRAME-RATE=29.970', `getHLSMediaPlaylist.m3u8?SessionToken=${encodeURIComponent(TOKEN)}`]);
  });

  test('video only and audio only', () => {
    const video = hlsMasterPlaylist({ sessionToken: 't', containerFormat: 'FRAGMENTED_MP4', video: { trackNumber: 1, codecs: 'avc1.42c01e' }, bandwidth: 1 });
    assert.deepEqual(lines(video).slice(3), ['#EXT-X-STREAM-INF:BANDWIDTH=1,CODECS="avc1.42c01e"', 'getHLSMediaPlaylist.m3u8?SessionToken=t&TrackNumber=1']);
    const audio = hlsMasterPlaylist({ sessionToken: 't', containerFormat: 'FRAGMENTED_MP4', audio: { trackNumber: 1, codecs: 'mp4a.40.2' }, bandwidth: 64000 });
    assert.ok(!audio.includes('EXT-X-MEDIA'));
    assert.deepEqual(lines(audio).slice(3), ['#EXT-X-STREAM-INF:BANDWIDTH=64000,CODECS="mp4a.40.2"', 'getHLSMediaPlaylist.m3u8?SessionToken=t&TrackNumber=1']);
    assert.throws(() => hlsMasterPlaylist({ sessionToken: 't', containerFormat: 'MPEG_TS', bandwidth: 1 }), RangeError);
  });
});

describe('HLS media playlist', () => {
  test('ON_DEMAND fMP4 with program date-times, in KVS shape', () => {
    const text = hlsMediaPlaylist({ ...base, programDateTime: true });
    const t = encodeURIComponent(TOKEN);
    assert.deepEqual(lines(text), [
      '#EXTM3U',
      '#EXT-X-VERSION:7',
      '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-TARGETDURATION:2',
      '#EXT-X-MEDIA-SEQUENCE:0',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      `#EXT-X-MAP:URI="getMP4InitFragment.mp4?SessionToken=${t}&TrackNumber=1"`,
      '#EXT-X-PROGRAM-DATE-TIME:2022-01-28T07:00:35.931Z',
      '#EXTINF:1.857,',
      `getMP4MediaFragment.mp4?FragmentNumber=${FN(0)}&SessionToken=${t}&TrackNumber=1`,
      '#EXT-X-PROGRAM-DATE-TIME:2022-01-28T07:00:37.788Z',
      '#EXTINF:2,',
      `getMP4MediaFragment.mp4?FragmentNumber=${FN(1)}&SessionToken=${t}&TrackNumber=1`,
      '#EXT-X-ENDLIST',
    ]);
  });

  test('MPEG-TS: getTSFragment.ts without TrackNumber, no EXT-X-MAP, version 3', () => {
    const text = hlsMediaPlaylist({ ...base, containerFormat: 'MPEG_TS', trackNumber: undefined });
    assert.ok(text.includes('#EXT-X-VERSION:3\n'));
    assert.ok(!text.includes('EXT-X-MAP'));
    assert.ok(text.includes(`\ngetTSFragment.ts?FragmentNumber=${FN(0)}&SessionToken=${encodeURIComponent(TOKEN)}\n`));
  });

  test('LIVE: no playlist type, no end list; ENDLIST once a LIVE_REPLAY is complete', () => {
    const live = hlsMediaPlaylist({ ...base, playbackMode: 'LIVE', mediaSequence: 17 });
    assert.ok(!live.includes('PLAYLIST-TYPE') && !live.includes('ENDLIST'));
    assert.ok(live.includes('#EXT-X-MEDIA-SEQUENCE:17\n'));
    const replay = hlsMediaPlaylist({ ...base, playbackMode: 'LIVE_REPLAY', complete: true });
    assert.ok(!replay.includes('PLAYLIST-TYPE') && replay.endsWith('#EXT-X-ENDLIST\n'));
  });

  test('discontinuity modes: ALWAYS before every segment, ON_DISCONTINUITY only past 50 ms', () => {
    const spaced = fragments([0, 2000], [2000, 2000], [4050, 2000], [6051, 2000], [8000, 2000]);
    const count = (text: string) => lines(text).filter((l) => l === '#EXT-X-DISCONTINUITY').length;
    assert.equal(count(hlsMediaPlaylist({ ...base, fragments: spaced, discontinuityMode: 'NEVER' })), 0);
    assert.equal(count(hlsMediaPlaylist({ ...base, fragments: spaced, discontinuityMode: 'ALWAYS' })), 5);
    const onGaps = lines(hlsMediaPlaylist({ ...base, fragments: spaced, discontinuityMode: 'ON_DISCONTINUITY' }));
    // 4050 is 50 ms late (kept), 6051 is 1 ms late (kept), 8000 overlaps by 51 ms (marked).
    const marked = onGaps.flatMap((line, i) => (line === '#EXT-X-DISCONTINUITY' ? [onGaps[i + 2]] : []));
    assert.deepEqual(marked, [`getMP4MediaFragment.mp4?FragmentNumber=${FN(4)}&SessionToken=${encodeURIComponent(TOKEN)}&TrackNumber=1`]);
  });

  test('ALWAYS in a live window: the discontinuity sequence follows the media sequence', () => {
    const text = hlsMediaPlaylist({ ...base, playbackMode: 'LIVE', discontinuityMode: 'ALWAYS', mediaSequence: 40 });
    assert.ok(text.includes('#EXT-X-MEDIA-SEQUENCE:40\n#EXT-X-DISCONTINUITY-SEQUENCE:40\n'));
    const lines0 = lines(text);
    assert.equal(lines0.indexOf('#EXT-X-DISCONTINUITY') + 1, lines0.findIndex((l) => l.startsWith('#EXT-X-MAP')), 'discontinuity, then the map');
    assert.ok(!hlsMediaPlaylist({ ...base, mediaSequence: 40 }).includes('DISCONTINUITY-SEQUENCE'));
    assert.ok(hlsMediaPlaylist({ ...base, mediaSequence: 40, discontinuitySequence: 3 }).includes('#EXT-X-DISCONTINUITY-SEQUENCE:3\n'));
  });

  test('a codec private change: new EXT-X-MAP with SequenceNumber, behind a discontinuity', () => {
    const frags = fragments([0, 2000], [2000, 2000], [4000, 2000]).map((f, k) => ({ ...f, initSequenceNumber: k < 2 ? 0 : 1 }));
    const out = lines(hlsMediaPlaylist({ ...base, fragments: frags }));
    const maps = out.filter((l) => l.startsWith('#EXT-X-MAP'));
    assert.deepEqual(maps, [0, 1].map((n) => `#EXT-X-MAP:URI="getMP4InitFragment.mp4?SessionToken=${encodeURIComponent(TOKEN)}&TrackNumber=1&SequenceNumber=${n}"`));
    assert.equal(out[out.indexOf(maps[1] as string) - 1], '#EXT-X-DISCONTINUITY');
  });

  test('target duration: each EXTINF rounded must not exceed it; a floor holds it steady', () => {
    const target = (frags: HlsPlaylistFragment[], floor?: number) =>
      Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(hlsMediaPlaylist({ ...base, fragments: frags, minimumTargetDurationSeconds: floor }))?.[1]);
    assert.equal(target(fragments([0, 2499])), 2);
    assert.equal(target(fragments([0, 2500])), 3);
    assert.equal(target(fragments([0, 300])), 1);
    assert.equal(target(fragments([0, 1000]), 4), 4);
    assert.equal(target([]), 1);
  });

  test('5000 fragments', () => {
    const many = Array.from({ length: 5000 }, (_, k) => ({ fragmentNumber: FN(k), timestampMs: 1.7e12 + 2000 * k, durationMs: 2000 }));
    const text = hlsMediaPlaylist({ ...base, fragments: many, programDateTime: true, discontinuityMode: 'ALWAYS' });
    assert.equal(lines(text).filter((l) => l.startsWith('#EXTINF:2,')).length, 5000);
  });
});

describe('session URLs', () => {
  test('point at the master playlist and the MPD on the given endpoint', () => {
    assert.equal(hlsSessionUrl('http://127.0.0.1:4570', 'a~b'), 'http://127.0.0.1:4570/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=a~b');
    assert.equal(dashSessionUrl('http://h:1', 'x y'), 'http://h:1/dash/v1/getDASHManifest.mpd?SessionToken=x%20y');
  });
});
