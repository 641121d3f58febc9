/**
 * EXT-X-DISCONTINUITY-SEQUENCE of a live HLS window (RFC 8216 §4.3.3.3): how many
 * EXT-X-DISCONTINUITY tags the session's playlists had before the window's first segment and no
 * longer show. A tag sits before a segment that is discontinuous with the one listed before it:
 * in ALWAYS mode every segment (so the count is the window's first position); ON_DISCONTINUITY,
 * a gap or overlap over 50 ms (KVS's documented threshold); in fMP4 in every mode, a new track
 * header (a new EXT-X-MAP). The window's first segment shows no tag (it has no predecessor in
 * the playlist), so the boundary into it counts as slid out too.
 */
import { DISCONTINUITY_THRESHOLD_MS } from '../formats/manifests/hls.js';
import type { IndexStore } from '../storage/index-store.js';
import { timestampOf, type PlaylistWindow } from './playlist-window.js';
import { selectorKind, type HlsSession } from './session.js';

export async function hlsDiscontinuitySequence(index: IndexStore, session: HlsSession, window: PlaylistWindow): Promise<number> {
  if (session.discontinuityMode === 'ALWAYS') return window.firstSequence;
  const first = window.fragments[0];
  if (!first || window.firstSequence === 0) return 0;
  const by = selectorKind(session);
  return index.countDiscontinuitiesThrough(session.streamId, {
    by,
    fromMs: session.anchorMs,
    throughMs: timestampOf(first, by),
    throughNumber: first.fragmentNumber,
    onePerTimestamp: by === 'producer',
    gapThresholdMs: session.discontinuityMode === 'ON_DISCONTINUITY' ? DISCONTINUITY_THRESHOLD_MS : undefined,
    headerChanges: session.containerFormat === 'FRAGMENTED_MP4',
  });
}
