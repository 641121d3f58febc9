/**
 * The player-facing resources of a KVS streaming session (kvs-api.md §5) and their URLs.
 * Playlists and manifests refer to their children by relative URL, each repeating the session
 * token in its query, so the session URL alone is all a player needs and any host name works.
 */

/** Path prefixes of the two session kinds on the data endpoint. */
export const HLS_PATH_PREFIX = '/hls/v1/';
export const DASH_PATH_PREFIX = '/dash/v1/';

/** Resource names, exactly as KVS spells them (the last path segment). */
export const HlsResource = {
  MasterPlaylist: 'getHLSMasterPlaylist.m3u8',
  MediaPlaylist: 'getHLSMediaPlaylist.m3u8',
  InitFragment: 'getMP4InitFragment.mp4',
  MediaFragment: 'getMP4MediaFragment.mp4',
  TsFragment: 'getTSFragment.ts',
} as const;

export const DashResource = {
  Manifest: 'getDASHManifest.mpd',
  InitFragment: 'getMP4InitFragment.mp4',
  MediaFragment: 'getMP4MediaFragment.mp4',
} as const;

/** Query parameter names, as KVS spells them. */
export const SessionQuery = {
  SessionToken: 'SessionToken',
  TrackNumber: 'TrackNumber',
  FragmentNumber: 'FragmentNumber',
  /** On getMP4InitFragment.mp4: which codec private data version (KVS sends SequenceNumber=0 …). */
  SequenceNumber: 'SequenceNumber',
} as const;

export type QueryParams = ReadonlyArray<readonly [string, string | number]>;

/** `k1=v1&k2=v2` with values percent-encoded, in the order given (KVS's order). */
export function queryString(params: QueryParams): string {
  return params.map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`).join('&');
}

/** `name?k1=v1&k2=v2`. */
export function resourceUrl(name: string, params: QueryParams): string {
  return params.length === 0 ? name : `${name}?${queryString(params)}`;
}

/** What GetHLSStreamingSessionURL returns: the master playlist on `endpoint` (no trailing slash). */
export function hlsSessionUrl(endpoint: string, sessionToken: string): string {
  return `${endpoint}${HLS_PATH_PREFIX}${resourceUrl(HlsResource.MasterPlaylist, [[SessionQuery.SessionToken, sessionToken]])}`;
}

/** What GetDASHStreamingSessionURL returns: the MPD on `endpoint` (no trailing slash). */
export function dashSessionUrl(endpoint: string, sessionToken: string): string {
  return `${endpoint}${DASH_PATH_PREFIX}${resourceUrl(DashResource.Manifest, [[SessionQuery.SessionToken, sessionToken]])}`;
}
