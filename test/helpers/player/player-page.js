// Runs in the browser, inside player.html. Node (test/helpers/browser-player.ts) calls
// window.openkvsPlayer.start(kind, url) once, then snapshot() as often as it likes; everything
// crosses back as plain JSON. Plain JavaScript because the page loads it as is, with no bundler.
(() => {
  'use strict';

  // Caps keep snapshots small even if a player loops on an error for the whole timeout.
  const MAX_EVENTS = 300;
  const MAX_ERRORS = 50;
  const video = /** @type {HTMLVideoElement} */ (document.getElementById('video'));
  const errors = [];
  const events = [];
  let startedAt = performance.now();
  let player = null;
  // Every picture size the video element showed, with the position it showed from ('resize').
  const sizes = [];

  const since = () => Math.round(performance.now() - startedAt);

  function note(source, name, detail) {
    if (events.length < MAX_EVENTS) events.push(detail === undefined ? { at: since(), source, name } : { at: since(), source, name, detail });
  }

  function fail(source, name, fatal, detail) {
    if (errors.length < MAX_ERRORS) errors.push({ at: since(), source, name, fatal, detail });
    note(source, `error:${name}`, detail);
  }

  // MediaError codes (HTML Living Standard, "Error codes"), named so a failing test says which.
  const MEDIA_ERROR_NAMES = ['', 'MEDIA_ERR_ABORTED', 'MEDIA_ERR_NETWORK', 'MEDIA_ERR_DECODE', 'MEDIA_ERR_SRC_NOT_SUPPORTED'];

  function watchVideoElement() {
    for (const name of ['loadedmetadata', 'canplay', 'playing', 'waiting', 'stalled', 'seeking', 'seeked', 'pause', 'ended']) {
      video.addEventListener(name, () => note('video', name, { currentTime: video.currentTime }));
    }
    const framesSeen = watchPresentedFrames();
    video.addEventListener('resize', () => {
      if (!framesSeen) sizes.push({ at: since(), currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight });
      note('video', 'resize', { currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight });
    });
    video.addEventListener('error', () => {
      const error = video.error;
      fail('video', MEDIA_ERROR_NAMES[error?.code ?? 0] || 'error', true, { message: error?.message });
    });
  }

  // A size change at the media time of the first frame shown in it. The 'resize' event's
  // currentTime is read when the event runs, which on a loaded machine at 4x is up to a second
  // later; a presented frame carries its own position.
  function watchPresentedFrames() {
    if (typeof video.requestVideoFrameCallback !== 'function') return false;
    const onFrame = (_now, frame) => {
      const last = sizes[sizes.length - 1];
      if (!last || last.width !== frame.width || last.height !== frame.height) {
        sizes.push({ at: since(), currentTime: frame.mediaTime, width: frame.width, height: frame.height });
      }
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    return true;
  }

  function watchPage() {
    window.addEventListener('error', (e) => fail('page', 'uncaught', false, { message: e.message }));
    window.addEventListener('unhandledrejection', (e) => fail('page', 'unhandledrejection', false, { message: String(e.reason) }));
  }

  function playVideo(source) {
    video.play().catch((err) => fail(source, 'play-rejected', true, { message: String(err) }));
  }

  // hls.js reports fatal and non-fatal errors through one event; keep both, with what explains them.
  function hlsErrorDetail(data) {
    return {
      type: data.type,
      reason: data.reason ?? data.error?.message,
      url: data.url ?? data.frag?.url ?? data.context?.url,
      httpStatus: data.response?.code,
    };
  }

  function startHls(url) {
    const Hls = window.Hls;
    if (!Hls || !Hls.isSupported()) return fail('hls.js', 'unsupported', true, { message: 'no MediaSource' });
    const hls = new Hls({ debug: false });
    player = hls;
    note('hls.js', 'version', { version: Hls.version });
    hls.on(Hls.Events.ERROR, (_event, data) => fail('hls.js', data.details, Boolean(data.fatal), hlsErrorDetail(data)));
    hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
      note('hls.js', 'manifestParsed', { levels: data.levels.length, audioTracks: data.audioTracks?.length ?? 0 });
      playVideo('hls.js');
    });
    hls.on(Hls.Events.LEVEL_LOADED, (_event, data) =>
      note('hls.js', 'levelLoaded', { live: data.details.live, fragments: data.details.fragments.length }));
    hls.on(Hls.Events.BUFFER_CODECS, (_event, data) =>
      note('hls.js', 'bufferCodecs', Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v?.codec ?? v?.levelCodec]))));
    hls.on(Hls.Events.FRAG_CHANGED, (_event, data) => note('hls.js', 'fragChanged', { sn: data.frag.sn, start: data.frag.start }));
    hls.loadSource(url);
    hls.attachMedia(video);
  }

  // dash.js has no fatal flag: its ERROR event is raised for failures it gives up on.
  function startDash(url) {
    const dashjs = window.dashjs;
    if (!dashjs) return fail('dash.js', 'unavailable', true, { message: 'dash.js did not load' });
    const dash = dashjs.MediaPlayer().create();
    player = dash;
    note('dash.js', 'version', { version: dash.getVersion() });
    const on = dashjs.MediaPlayer.events;
    dash.updateSettings({ debug: { logLevel: dashjs.Debug.LOG_LEVEL_WARNING } });
    dash.on(on.ERROR, (e) => fail('dash.js', `error-${e.error?.code ?? e.error}`, true, { message: e.error?.message ?? String(e.error) }));
    dash.on(on.PLAYBACK_ERROR, (e) => fail('dash.js', 'playbackError', true, { message: String(e.error?.message ?? e.error) }));
    dash.on(on.STREAM_INITIALIZED, () => note('dash.js', 'streamInitialized'));
    dash.on(on.MANIFEST_LOADED, (e) => note('dash.js', 'manifestLoaded', { type: e.data?.type }));
    dash.on(on.PLAYBACK_STARTED, () => note('dash.js', 'playbackStarted'));
    dash.initialize(video, url, true);
  }

  // Shaka Player (compiled UMD build, window.shaka): DASH or HLS, chosen by the URL's extension.
  function startShaka(url) {
    const shaka = window.shaka;
    if (!shaka) return fail('shaka', 'unavailable', true, { message: 'Shaka Player did not load' });
    shaka.polyfill.installAll();
    if (!shaka.Player.isBrowserSupported()) return fail('shaka', 'unsupported', true, { message: 'browser not supported' });
    const shakaPlayer = new shaka.Player();
    player = shakaPlayer;
    note('shaka', 'version', { version: shaka.Player.version });
    shakaPlayer.addEventListener('error', (e) => {
      const error = e.detail;
      fail('shaka', `error-${error?.code}`, error?.severity === shaka.util.Error.Severity.CRITICAL, { category: error?.category, data: String(error?.data?.[0] ?? '') });
    });
    shakaPlayer
      .attach(video)
      .then(() => shakaPlayer.load(url))
      .then(() => {
        note('shaka', 'loaded', { live: shakaPlayer.isLive() });
        playVideo('shaka');
      })
      .catch((error) => fail('shaka', `load-${error?.code ?? 'failed'}`, true, { message: String(error?.message ?? error), data: String(error?.data?.[0] ?? '') }));
  }

  function bufferedRanges() {
    const ranges = [];
    for (let i = 0; i < video.buffered.length; i++) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
    return ranges;
  }

  window.openkvsPlayer = {
    start(kind, url, playbackRate) {
      if (player) throw new Error('one playback per page');
      startedAt = performance.now();
      watchVideoElement();
      watchPage();
      note('harness', 'start', { kind, url });
      // Faster than real time when asked, to play long streams in short tests; players re-apply
      // their own rate on start, so it is set again once playing.
      if (playbackRate) {
        video.defaultPlaybackRate = playbackRate;
        video.playbackRate = playbackRate;
        video.addEventListener('playing', () => (video.playbackRate = playbackRate));
      }
      if (kind === 'hls') startHls(url);
      else if (kind === 'dash') startDash(url);
      else if (kind === 'shaka') startShaka(url);
      else fail('harness', 'unknown-kind', true, { kind });
    },
    snapshot() {
      return {
        currentTime: video.currentTime,
        paused: video.paused,
        ended: video.ended,
        readyState: video.readyState,
        buffered: bufferedRanges(),
        duration: Number.isFinite(video.duration) ? video.duration : null,
        sizes: sizes.slice(),
        errors: errors.slice(),
        events: events.slice(),
      };
    },
  };
})();
