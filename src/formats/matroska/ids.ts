/**
 * Element IDs the openkvs Matroska code reads or writes. IDs keep their VINT marker bits, as they
 * appear on the wire (RFC 8794 §5). Names follow RFC 9559 §5.1 (the Matroska schema); where
 * RFC 9559 renamed an element the older name is given too (KVS and its producers still say
 * "Timecode").
 */
export const MatroskaId = {
  // RFC 8794 §11.2: the EBML Header and its children.
  EBML: 0x1a45dfa3,
  EBMLVersion: 0x4286,
  EBMLReadVersion: 0x42f7,
  EBMLMaxIDLength: 0x42f2,
  EBMLMaxSizeLength: 0x42f3,
  DocType: 0x4282,
  DocTypeVersion: 0x4287,
  DocTypeReadVersion: 0x4285,
  DocTypeExtension: 0x4281,

  // RFC 8794 §11.3: Global Elements, allowed anywhere.
  Void: 0xec,
  CRC32: 0xbf,

  // RFC 9559 §5.1: the Segment, the one root of a Matroska document.
  Segment: 0x18538067,

  // RFC 9559 §5.1.1: SeekHead.
  SeekHead: 0x114d9b74,
  Seek: 0x4dbb,
  SeekID: 0x53ab,
  SeekPosition: 0x53ac,

  // RFC 9559 §5.1.2: Info.
  Info: 0x1549a966,
  SegmentUUID: 0x73a4, // "SegmentUID" before RFC 9559
  TimestampScale: 0x2ad7b1, // "TimecodeScale" before RFC 9559
  Duration: 0x4489,
  DateUTC: 0x4461,
  Title: 0x7ba9,
  MuxingApp: 0x4d80,
  WritingApp: 0x5741,

  // RFC 9559 §5.1.3: Cluster and its blocks.
  Cluster: 0x1f43b675,
  Timestamp: 0xe7, // the Cluster "Timecode" before RFC 9559
  SilentTracks: 0x5854,
  Position: 0xa7,
  PrevSize: 0xab,
  SimpleBlock: 0xa3,
  BlockGroup: 0xa0,
  Block: 0xa1,
  BlockAdditions: 0x75a1,
  BlockDuration: 0x9b,
  ReferencePriority: 0xfa,
  ReferenceBlock: 0xfb,
  CodecState: 0xa4,
  DiscardPadding: 0x75a2,
  EncryptedBlock: 0xaf,

  // RFC 9559 §5.1.4: Tracks.
  Tracks: 0x1654ae6b,
  TrackEntry: 0xae,
  TrackNumber: 0xd7,
  TrackUID: 0x73c5,
  TrackType: 0x83,
  FlagEnabled: 0xb9,
  FlagDefault: 0x88,
  FlagForced: 0x55aa,
  FlagLacing: 0x9c,
  DefaultDuration: 0x23e383,
  Name: 0x536e,
  Language: 0x22b59c,
  CodecID: 0x86,
  CodecPrivate: 0x63a2,
  CodecName: 0x258688,
  CodecDelay: 0x56aa,
  SeekPreRoll: 0x56bb,
  Video: 0xe0,
  PixelWidth: 0xb0,
  PixelHeight: 0xba,
  DisplayWidth: 0x54b0,
  DisplayHeight: 0x54ba,
  Audio: 0xe1,
  SamplingFrequency: 0xb5,
  OutputSamplingFrequency: 0x78b5,
  Channels: 0x9f,
  BitDepth: 0x6264,
  ContentEncodings: 0x6d80,

  // RFC 9559 §5.1.5–§5.1.7: level-1 elements the ingest skips.
  Cues: 0x1c53bb6b,
  Attachments: 0x1941a469,
  Chapters: 0x1043a770,

  // RFC 9559 §5.1.8: Tags.
  Tags: 0x1254c367,
  Tag: 0x7373,
  Targets: 0x63c0,
  TargetTypeValue: 0x68ca,
  TargetType: 0x63ca,
  TagTrackUID: 0x63c5,
  SimpleTag: 0x67c8,
  TagName: 0x45a3,
  TagLanguage: 0x447a,
  TagDefault: 0x4484,
  TagString: 0x4487,
  TagBinary: 0x4485,
} as const;

/** The RFC 9559 §5.1 children of Segment ("level-1" elements). */
export const SEGMENT_CHILD_IDS: ReadonlySet<number> = new Set([
  MatroskaId.SeekHead,
  MatroskaId.Info,
  MatroskaId.Cluster,
  MatroskaId.Tracks,
  MatroskaId.Cues,
  MatroskaId.Attachments,
  MatroskaId.Chapters,
  MatroskaId.Tags,
]);
