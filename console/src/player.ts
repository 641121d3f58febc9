/**
 * Plays a stream in a <video> with hls.js: LIVE tuned for low latency, or ON_DEMAND from an
 * instant. Sessions come from GetHLSStreamingSessionURL like any client's, with
 * DisplayFragmentTimestamp ALWAYS so each segment carries its program date-time: that is how the
 * console tells the delay behind the camera (live) and which moment is on screen (archive).
 */
import { GetHLSStreamingSessionURLCommand } from '@aws-sdk/client-kinesis-video-archived-media';
import type HlsType from 'hls.js';
import type { HlsConfig } from 'hls.js';
import type { Kvs } from './api';

type Hls = HlsType;
/** hls.js is half the bundle and only this page plays: loaded when first needed (its own chunk). */
let hlsModule: Promise<typeof HlsType> | undefined;
function loadHls(): Promise<typeof HlsType> {
  return (hlsModule ??= import('hls.js').then((m) => m.default));
}

/** LIVE: stay about one 1-s fragment behind the newest one, catch up by playing faster. */
const LIVE_CONFIG: Partial<HlsConfig> = {
  lowLatencyMode: false,
  liveSyncDuration: 1,
  liveMaxLatencyDuration: 4,
  maxLiveSyncPlaybackRate: 1.5,
  liveDurationInfinity: true,
  backBufferLength: 10,
  maxBufferLength: 6,
  manifestLoadingMaxRetry: 6,
  levelLoadingMaxRetry: 6,
  fragLoadingMaxRetry: 6,
};

export type PlayerState =
  | { kind: 'idle' }
  | { kind: 'loading'; what: string }
  | { kind: 'live' }
  | { kind: 'archive'; fromMs: number }
  | { kind: 'error'; message: string };

export class Player {
  private hls: Hls | undefined;
  private generation = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onState: (state: PlayerState) => void,
  ) {
    video.muted = true;
    video.playsInline = true;
  }

  /** The program date-time (ms) of the frame on screen, if the playlist gave one. */
  playingDateMs(): number | undefined {
    return this.hls?.playingDate?.getTime();
  }

  async playLive(kvs: Kvs, stream: string): Promise<string> {
    const generation = this.reset({ kind: 'loading', what: 'live view' });
    const url = await this.sessionUrl(kvs, stream, { PlaybackMode: 'LIVE' });
    const Hls = await loadHls();
    if (generation !== this.generation) return url;
    const hls = this.attach(Hls, { ...LIVE_CONFIG });
    hls.once(Hls.Events.MANIFEST_PARSED, () => {
      this.onState({ kind: 'live' });
      void this.video.play().catch(() => undefined);
    });
    hls.loadSource(url);
    return url;
  }

  /**
   * ON_DEMAND from `atMs` (producer time): the session starts with the fragment holding it
   * (`fragmentStartMs`), playback at the instant itself.
   */
  async playFrom(kvs: Kvs, stream: string, atMs: number, fragmentStartMs: number): Promise<string> {
    const generation = this.reset({ kind: 'loading', what: 'archive' });
    const startMs = Math.min(fragmentStartMs, atMs);
    const url = await this.sessionUrl(kvs, stream, {
      PlaybackMode: 'ON_DEMAND',
      MaxMediaPlaylistFragmentResults: 5000,
      HLSFragmentSelector: {
        FragmentSelectorType: 'PRODUCER_TIMESTAMP',
        TimestampRange: { StartTimestamp: new Date(startMs), EndTimestamp: new Date(Math.min(startMs + 3 * 3600_000, Date.now())) },
      },
    });
    const Hls = await loadHls();
    if (generation !== this.generation) return url;
    // The playlist starts with the fragment holding the instant, and hls.js puts the first
    // segment at time 0: the instant is that far in.
    const startPosition = Math.max(0, (atMs - startMs) / 1000);
    const hls = this.attach(Hls, { startPosition, maxBufferLength: 20 });
    hls.once(Hls.Events.MANIFEST_PARSED, () => {
      // The moment on screen is known once frames from the new position play, not before.
      this.video.addEventListener(
        'playing',
        () => {
          if (this.hls === hls) this.onState({ kind: 'archive', fromMs: atMs });
        },
        { once: true },
      );
      void this.video.play().catch(() => undefined);
    });
    hls.loadSource(url);
    return url;
  }

  stop(): void {
    this.reset({ kind: 'idle' });
  }

  private reset(state: PlayerState): number {
    this.hls?.destroy();
    this.hls = undefined;
    this.onState(state);
    return ++this.generation;
  }

  private attach(Hls: typeof HlsType, config: Partial<HlsConfig>): Hls {
    if (!Hls.isSupported()) throw new Error('This browser has no Media Source Extensions: hls.js cannot play here.');
    const hls = new Hls(config);
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) this.onState({ kind: 'error', message: `Playback failed: ${data.details}${data.response?.code ? ` (HTTP ${data.response.code})` : ''}` });
    });
    hls.attachMedia(this.video);
    this.hls = hls;
    return hls;
  }

  private async sessionUrl(kvs: Kvs, stream: string, input: Omit<ConstructorParameters<typeof GetHLSStreamingSessionURLCommand>[0], 'StreamName'>): Promise<string> {
    const client = await kvs.archived(stream, 'GET_HLS_STREAMING_SESSION_URL');
    const { HLSStreamingSessionURL } = await client.send(
      new GetHLSStreamingSessionURLCommand({ StreamName: stream, DisplayFragmentTimestamp: 'ALWAYS', ContainerFormat: 'FRAGMENTED_MP4', ...input }),
    );
    if (!HLSStreamingSessionURL) throw new Error('GetHLSStreamingSessionURL returned no URL');
    return HLSStreamingSessionURL;
  }

  destroy(): void {
    this.generation++;
    this.hls?.destroy();
    this.hls = undefined;
  }
}
