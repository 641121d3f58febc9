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
    video.addEventListener('error', () => {
      const error = video.error;
      fail('video', MEDIA_ERROR_NAMES[error?.code ?? 0] || 'error', true, { message: error?.message });
    });
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

  function bufferedRanges() {
    const ranges = [];
    for (let i = 0; i < video.buffered.length; i++) ranges.push([video.buffered.start(i), video.buffered.end(i)]);
    return ranges;
  }

  window.openkvsPlayer = {
    start(kind, url) {
      if (player) throw new Error('one playback per page');
      startedAt = performance.now();
      watchVideoElement();
      watchPage();
      note('harness', 'start', { kind, url });
      if (kind === 'hls') startHls(url);
      else if (kind === 'dash') startDash(url);
      else fail('harness', 'unknown-kind', true, { kind });
    },
    snapshot() {
      return {
        currentTime: video.currentTime,
        paused: video.paused,
        ended: video.ended,
        readyState: video.readyState,
        buffered: bufferedRanges(),
        errors: errors.slice(),
        events: events.slice(),
      };
    },
  };
})();
