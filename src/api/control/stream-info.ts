import type { StreamRecord } from '../../domain/stream.js';

/**
 * The StreamInfo wire shape. Unset optional fields are sent as null, as the real
 * DescribeStream does (kvs-api.md §1); CreationTime is epoch seconds with a millisecond fraction.
 */
export function toStreamInfo(stream: StreamRecord) {
  return {
    DeviceName: stream.deviceName,
    StreamName: stream.name,
    StreamARN: stream.arn,
    MediaType: stream.mediaType,
    KmsKeyId: stream.kmsKeyId,
    Version: stream.version,
    Status: stream.status,
    CreationTime: stream.creationTimeMs / 1000,
    DataRetentionInHours: stream.dataRetentionInHours,
  };
}
