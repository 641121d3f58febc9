/**
 * IAM action names of Kinesis Video Streams. KVS names each action after the API operation it
 * authorizes, prefixed `kinesisvideo:` (KVS developer guide, "Actions for Kinesis Video Streams",
 * https://docs.aws.amazon.com/kinesisvideostreams/latest/dg/how-iam.html, and the Service
 * Authorization Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonkinesisvideostreams.html).
 * The HLS/DASH session URLs are authorized by GetHLSStreamingSessionURL / GetDASHStreamingSessionURL;
 * the playlists and segments behind them by the session token the URL carries.
 */
export const SERVICE_PREFIX = 'kinesisvideo';

/**
 * Every action a policy may name: the operations of the three KVS service models
 * (kinesisvideo, kinesis-video-media, kinesis-video-archived-media), PutMedia (not in botocore),
 * and the signaling / WebRTC storage actions. openkvs does not implement all of them, but a
 * policy copied from AWS may name any, so they parse; a name outside this list is a typo.
 */
export const KNOWN_ACTIONS: ReadonlySet<string> = new Set([
  // kinesisvideo (control plane)
  'CreateSignalingChannel', 'CreateStream', 'DeleteEdgeConfiguration', 'DeleteSignalingChannel', 'DeleteStream',
  'DescribeEdgeConfiguration', 'DescribeImageGenerationConfiguration', 'DescribeMappedResourceConfiguration',
  'DescribeMediaStorageConfiguration', 'DescribeNotificationConfiguration', 'DescribeSignalingChannel', 'DescribeStream',
  'DescribeStreamStorageConfiguration', 'GetDataEndpoint', 'GetSignalingChannelEndpoint', 'ListEdgeAgentConfigurations',
  'ListSignalingChannels', 'ListStreams', 'ListTagsForResource', 'ListTagsForStream', 'StartEdgeConfigurationUpdate',
  'TagResource', 'TagStream', 'UntagResource', 'UntagStream', 'UpdateDataRetention', 'UpdateImageGenerationConfiguration',
  'UpdateMediaStorageConfiguration', 'UpdateNotificationConfiguration', 'UpdateSignalingChannel', 'UpdateStream',
  'UpdateStreamStorageConfiguration',
  // kinesis-video-media
  'PutMedia', 'GetMedia',
  // kinesis-video-archived-media
  'GetClip', 'GetDASHStreamingSessionURL', 'GetHLSStreamingSessionURL', 'GetImages', 'GetMediaForFragmentList', 'ListFragments',
  // signaling and WebRTC ingestion (kinesis-video-signaling, kinesis-video-webrtc-storage)
  'ConnectAsMaster', 'ConnectAsViewer', 'GetIceServerConfig', 'SendAlexaOfferToMaster', 'JoinStorageSession',
  'JoinStorageSessionAsViewer',
]);

/** `kinesisvideo:DescribeStream` for the operation DescribeStream. */
export function actionOf(operation: string): string {
  return `${SERVICE_PREFIX}:${operation}`;
}

/**
 * The resource IAM evaluates for CreateStream: the stream does not exist yet, so its creation
 * time is unknown; a policy scoping CreateStream by name (`stream/cam-*` + `/*`) matches this.
 */
export function streamToCreateArn(region: string, accountId: string, name: string): string {
  return `arn:aws:${SERVICE_PREFIX}:${region}:${accountId}:stream/${name}/*`;
}

/** The same form for a stream addressed by a name that does not exist (its creation time is unknown). */
export const STREAM_ARN_PREFIX_OF = streamToCreateArn;

/**
 * Actions that take no resource (the Service Authorization Reference lists no resource type for
 * ListStreams): IAM evaluates them against "*", so only a statement with `"Resource": "*"` (or a
 * pattern that matches the string "*") grants them.
 */
export const ACCOUNT_RESOURCE = '*';
