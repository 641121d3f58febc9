/** The source side's pure decisions (src/relay/ffmpeg-source.ts): kinds, audio plans, ffmpeg's arguments, redaction. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ffmpegArgs, isFatalStderr, planStreams, redactedSource, SourceError, sourceKind } from '../../../src/relay/ffmpeg-source.js';

const video = { codecType: 'video', codecName: 'h264', hasBFrames: 0 };
const audio = (codecName: string) => ({ codecType: 'audio', codecName, hasBFrames: 0 });

describe('relay sources', () => {
  test('kinds by scheme; a missing file or an unknown scheme is fatal', () => {
    assert.deepEqual(['rtsp://a/b', 'RTSPS://a', 'rtmp://a', 'srt://a:1', 'https://a/x.ts', '-'].map(sourceKind), ['rtsp', 'rtsp', 'rtmp', 'srt', 'http', 'stdin']);
    assert.throws(() => sourceKind('/nonexistent/file.mkv'), (err: SourceError) => err.fatal && /no such file/.test(err.message));
    assert.throws(() => sourceKind('udp://239.0.0.1:5000'), (err: SourceError) => err.fatal && /unsupported source/.test(err.message));
  });

  test('audio: AAC and G.711 copied, others and AAC in MPEG-TS re-encoded; video other than H.264/H.265 refused', () => {
    assert.deepEqual(planStreams({ format: 'rtsp', streams: [video, audio('aac')] }), { audio: 'copy' });
    assert.deepEqual(planStreams({ format: 'rtsp', streams: [video, audio('pcm_mulaw')] }), { audio: 'copy' });
    assert.deepEqual(planStreams({ format: 'rtsp', streams: [video, audio('opus')] }), { audio: 'aac' });
    assert.deepEqual(planStreams({ format: 'mpegts', streams: [video, audio('aac')] }), { audio: 'aac' });
    assert.deepEqual(planStreams({ format: 'mov,mp4,m4a,3gp,3g2,mj2', streams: [video, audio('aac')] }), { audio: 'copy' });
    assert.deepEqual(planStreams({ format: 'rtsp', streams: [video] }), { audio: 'none' });
    // Not probed: RTMP's AAC comes with its config, MPEG-TS over SRT or a pipe does not.
    assert.deepEqual(planStreams(undefined, 'rtmp'), { audio: 'copy' });
    assert.deepEqual(planStreams(undefined, 'srt'), { audio: 'aac' });
    assert.throws(() => planStreams({ format: 'rtsp', streams: [{ ...video, codecName: 'mjpeg' }] }), (err: SourceError) => err.fatal && /mjpeg/.test(err.message));
  });

  test("ffmpeg's arguments: transport, pacing, looping, stdin, audio plan, Matroska with GOP-sized Clusters", () => {
    const rtsp = ffmpegArgs({ source: 'rtsp://cam/s', rtspTransport: 'udp' }, { audio: 'copy' });
    assert.deepEqual(rtsp.slice(rtsp.indexOf('-rtsp_transport'), rtsp.indexOf('-rtsp_transport') + 2), ['-rtsp_transport', 'udp']);
    assert.ok(!rtsp.includes('-re'), 'a live source paces itself');
    assert.deepEqual(rtsp.slice(rtsp.indexOf('-c:a'), rtsp.indexOf('-c:a') + 2), ['-c:a', 'copy']);
    assert.deepEqual(rtsp.slice(-7), ['-f', 'matroska', '-cluster_size_limit', '50000000', '-cluster_time_limit', '10000', 'pipe:1']);
    const pipe = ffmpegArgs({ source: '-', realtime: true }, { audio: 'aac' });
    assert.deepEqual(pipe.slice(pipe.indexOf('-i'), pipe.indexOf('-i') + 2), ['-i', 'pipe:0']);
    assert.ok(pipe.includes('-re') && !pipe.includes('-nostdin'));
    assert.ok(ffmpegArgs({ source: 'rtsp://cam/s' }, { audio: 'none' }).includes('-an'));
  });

  test('fatal ffmpeg messages; passwords left out of what is shown', () => {
    assert.ok(isFatalStderr('rtsp://cam/x: 401 Unauthorized'));
    assert.ok(!isFatalStderr('rtsp://cam/x: Connection refused'));
    assert.equal(redactedSource('rtsp://admin:s3cret@10.0.0.2:554/s1'), 'rtsp://10.0.0.2:554/s1');
    assert.equal(redactedSource('ffmpeg exited (1): rtsp://admin:pw@cam/s: 401 Unauthorized'), 'ffmpeg exited (1): rtsp://cam/s: 401 Unauthorized');
    assert.equal(redactedSource('rtsp://cam/a@b'), 'rtsp://cam/a@b');
    assert.equal(redactedSource('/var/cams/door.mkv'), '/var/cams/door.mkv');
  });
});
