/** The stream as the archive knows it; wire shapes are built from this in api/control/stream-info.ts. */
export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';
export type StorageTier = 'HOT' | 'WARM';

export interface ImageGenerationConfiguration {
  Status: 'ENABLED' | 'DISABLED';
  ImageSelectorType: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP';
  DestinationConfig: { Uri: string; DestinationRegion: string };
  SamplingInterval: number;
  Format: 'JPEG' | 'PNG';
  FormatConfig?: Record<string, string>;
  WidthPixels?: number;
  HeightPixels?: number;
}

export interface NotificationConfiguration {
  Status: 'ENABLED' | 'DISABLED';
  DestinationConfig: { Uri: string };
}

export interface StreamRecord {
  /** Internal identity, never reused: a stream re-created under the same name is a new stream. */
  readonly streamId: number;
  readonly name: string;
  readonly arn: string;
  readonly deviceName: string | null;
  readonly mediaType: string | null;
  readonly kmsKeyId: string;
  readonly version: string;
  readonly status: StreamStatus;
  readonly creationTimeMs: number;
  readonly dataRetentionInHours: number;
  readonly storageTier: StorageTier;
  readonly imageGenerationConfiguration: ImageGenerationConfiguration | null;
  readonly notificationConfiguration: NotificationConfiguration | null;
}

/** The fields a caller supplies when creating a stream; streamId is assigned by the store. */
export type NewStream = Omit<StreamRecord, 'streamId'>;

/** Fields an update may change; `version` is the new version the update installs. */
export type StreamPatch = Partial<
  Pick<
    StreamRecord,
    | 'deviceName'
    | 'mediaType'
    | 'status'
    | 'dataRetentionInHours'
    | 'storageTier'
    | 'imageGenerationConfiguration'
    | 'notificationConfiguration'
  >
> & { readonly version: string };

export const MAX_TAGS_PER_RESOURCE = 50;
export const MAX_DATA_RETENTION_HOURS = 87_600;

/** Copies only the patchable fields that are present, so a wider object cannot rename a stream. */
export function applyPatch(current: StreamRecord, patch: StreamPatch): StreamRecord {
  const pick = <K extends keyof StreamPatch>(key: K, fallback: StreamRecord[K]): StreamRecord[K] =>
    patch[key] === undefined ? fallback : (patch[key] as StreamRecord[K]);
  return {
    ...current,
    version: patch.version,
    deviceName: pick('deviceName', current.deviceName),
    mediaType: pick('mediaType', current.mediaType),
    status: pick('status', current.status),
    dataRetentionInHours: pick('dataRetentionInHours', current.dataRetentionInHours),
    storageTier: pick('storageTier', current.storageTier),
    imageGenerationConfiguration: pick('imageGenerationConfiguration', current.imageGenerationConfiguration),
    notificationConfiguration: pick('notificationConfiguration', current.notificationConfiguration),
  };
}
