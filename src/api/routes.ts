import { getClip } from './archived/get-clip.js';
import { getImages } from './archived/get-images.js';
import { createStream } from './control/create-stream.js';
import { deleteStream } from './control/delete-stream.js';
import { describeImageGenerationConfiguration } from './control/describe-image-generation-configuration.js';
import { describeNotificationConfiguration } from './control/describe-notification-configuration.js';
import { describeStreamStorageConfiguration } from './control/describe-stream-storage-configuration.js';
import { describeStream } from './control/describe-stream.js';
import { getDataEndpoint } from './control/get-data-endpoint.js';
import { listStreams } from './control/list-streams.js';
import { listTagsForResource } from './control/list-tags-for-resource.js';
import { listTagsForStream } from './control/list-tags-for-stream.js';
import { tagResource } from './control/tag-resource.js';
import { tagStream } from './control/tag-stream.js';
import { untagResource } from './control/untag-resource.js';
import { untagStream } from './control/untag-stream.js';
import { updateDataRetention } from './control/update-data-retention.js';
import { updateImageGenerationConfiguration } from './control/update-image-generation-configuration.js';
import { updateNotificationConfiguration } from './control/update-notification-configuration.js';
import { updateStreamStorageConfiguration } from './control/update-stream-storage-configuration.js';
import { updateStream } from './control/update-stream.js';
import { getDashStreamingSessionUrl } from './archived/get-dash-streaming-session-url.js';
import { getHlsStreamingSessionUrl } from './archived/get-hls-streaming-session-url.js';
import { getMediaForFragmentList } from './archived/get-media-for-fragment-list.js';
import { listFragments } from './archived/list-fragments.js';
import { getMedia } from './media/get-media.js';
import { putMedia } from './media/put-media.js';
import { issueCredentials } from './openkvs/issue-credentials.js';
import { listRelays } from './openkvs/list-relays.js';
import type { JsonOperation, JsonStreamOperation, StreamOperation } from './operation.js';
import { dashInitFragmentResource } from './playback/dash-init-fragment.js';
import { dashManifestResource } from './playback/dash-manifest.js';
import { dashMediaFragmentResource } from './playback/dash-media-fragment.js';
import { hlsInitFragmentResource } from './playback/hls-init-fragment.js';
import { hlsMasterPlaylistResource } from './playback/hls-master-playlist.js';
import { hlsMediaFragmentResource } from './playback/hls-media-fragment.js';
import { hlsMediaPlaylistResource } from './playback/hls-media-playlist.js';
import { hlsTsFragmentResource } from './playback/hls-ts-fragment.js';
import type { PlaybackResource } from './playback/resource.js';
import { operations as archivedMedia } from './shapes/kinesis-video-archived-media.js';
import { operations as media } from './shapes/kinesis-video-media.js';
import { operations as control } from './shapes/kinesisvideo.js';

// Each operation declares its own input type; the table only needs them as a uniform kind.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOperation = JsonOperation<any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyJsonStreamOperation = JsonStreamOperation<any>;

const implemented: readonly AnyOperation[] = [
  createStream,
  describeStream,
  listStreams,
  deleteStream,
  updateStream,
  updateDataRetention,
  getDataEndpoint,
  tagStream,
  untagStream,
  listTagsForStream,
  tagResource,
  untagResource,
  listTagsForResource,
  describeStreamStorageConfiguration,
  updateStreamStorageConfiguration,
  describeImageGenerationConfiguration,
  updateImageGenerationConfiguration,
  describeNotificationConfiguration,
  updateNotificationConfiguration,
  getHlsStreamingSessionUrl,
  getDashStreamingSessionUrl,
  listFragments,
  getImages,
  // openkvs's own, under /openkvs/ where no KVS operation lives.
  issueCredentials,
  listRelays,
];

/** JSON input, streamed output. */
const jsonStreaming: readonly AnyJsonStreamOperation[] = [getClip, getMediaForFragmentList, getMedia];

const streaming: readonly StreamOperation[] = [putMedia];

export type Route =
  | { kind: 'json'; operation: AnyOperation }
  | { kind: 'json-stream'; operation: AnyJsonStreamOperation }
  | { kind: 'stream'; operation: StreamOperation }
  | { kind: 'unsupported'; name: string };

/**
 * POST path → route, for every operation of the three KVS services. The paths never collide
 * across services (kvs-api.md §0), so one listener serves them all. Operations openkvs does not
 * implement yet are routed too, so they answer a clear error naming the operation.
 */
export function buildRoutes(): Map<string, Route> {
  const routes = new Map<string, Route>();
  for (const [name, shape] of Object.entries({ ...control, ...media, ...archivedMedia })) {
    routes.set(shape.path, { kind: 'unsupported', name });
  }
  for (const operation of implemented) routes.set(operation.shape.path, { kind: 'json', operation });
  for (const operation of jsonStreaming) routes.set(operation.shape.path, { kind: 'json-stream', operation });
  for (const operation of streaming) routes.set(operation.path, { kind: 'stream', operation });
  return routes;
}

/** GET resources of HLS and DASH sessions. */
const playbackResources: readonly PlaybackResource[] = [
  hlsMasterPlaylistResource,
  hlsMediaPlaylistResource,
  hlsInitFragmentResource,
  hlsMediaFragmentResource,
  hlsTsFragmentResource,
  dashManifestResource,
  dashInitFragmentResource,
  dashMediaFragmentResource,
];

export function buildPlaybackRoutes(): Map<string, PlaybackResource> {
  return new Map(playbackResources.map((resource) => [resource.path, resource]));
}
