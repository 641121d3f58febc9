/**
 * Program-specific information (ISO/IEC 13818-1 §2.4.4): the Program Association Table and the
 * Program Map Table of our single program, each one section in one transport packet.
 */
import { crc32Mpeg2 } from './crc32.js';
import { TS_PACKET_BODY_SIZE, TS_PACKET_SIZE } from './constants.js';
import { writeTransportPacketHeader } from './packet.js';

export interface ProgramAssociation {
  readonly transportStreamId: number;
  readonly programNumber: number;
  readonly programMapPid: number;
}

export interface ElementaryStreamInfo {
  /** Table 2-34 stream_type. */
  readonly streamType: number;
  readonly elementaryPid: number;
}

export interface ProgramMap {
  readonly programNumber: number;
  /** The PID whose adaptation fields carry this program's PCR. */
  readonly pcrPid: number;
  readonly streams: readonly ElementaryStreamInfo[];
}

/**
 * A long-form PSI section (§2.4.4.10 syntax shared by Tables 2-30 and 2-33): the 8-byte
 * header, `body`, CRC_32. One section per table, version 0, currently applicable.
 */
function psiSection(tableId: number, tableIdExtension: number, body: Uint8Array): Uint8Array {
  // section_length counts from after its own field to the end of the CRC: 5 header bytes + body + 4
  const sectionLength = 5 + body.length + 4;
  if (sectionLength > 1021) throw new RangeError(`PSI section of ${sectionLength} bytes exceeds 1021`);
  const section = new Uint8Array(3 + sectionLength);
  // table_id
  section[0] = tableId;
  // section_syntax_indicator 1, '0', reserved '11', section_length[11..8]
  section[1] = 0xb0 | ((sectionLength >> 8) & 0x0f);
  section[2] = sectionLength & 0xff;
  // transport_stream_id (PAT) or program_number (PMT)
  section[3] = (tableIdExtension >> 8) & 0xff;
  section[4] = tableIdExtension & 0xff;
  // reserved '11', version_number 0, current_next_indicator 1
  section[5] = 0xc1;
  // section_number, last_section_number
  section[6] = 0;
  section[7] = 0;
  section.set(body, 8);
  const crc = crc32Mpeg2(section, 0, section.length - 4);
  section[section.length - 4] = crc >>> 24;
  section[section.length - 3] = (crc >>> 16) & 0xff;
  section[section.length - 2] = (crc >>> 8) & 0xff;
  section[section.length - 1] = crc & 0xff;
  return section;
}

/** program_association_section(), §2.4.4.3 (Table 2-30), table_id 0x00, one program. */
export function programAssociationSection(pat: ProgramAssociation): Uint8Array {
  const body = new Uint8Array(4);
  // program_number
  body[0] = (pat.programNumber >> 8) & 0xff;
  body[1] = pat.programNumber & 0xff;
  // reserved '111', program_map_PID
  body[2] = 0xe0 | ((pat.programMapPid >> 8) & 0x1f);
  body[3] = pat.programMapPid & 0xff;
  return psiSection(0x00, pat.transportStreamId, body);
}

/** TS_program_map_section(), §2.4.4.8 (Table 2-33), table_id 0x02, no descriptors. */
export function programMapSection(pmt: ProgramMap): Uint8Array {
  const body = new Uint8Array(4 + 5 * pmt.streams.length);
  // reserved '111', PCR_PID
  body[0] = 0xe0 | ((pmt.pcrPid >> 8) & 0x1f);
  body[1] = pmt.pcrPid & 0xff;
  // reserved '1111', program_info_length 0
  body[2] = 0xf0;
  body[3] = 0;
  pmt.streams.forEach((stream, index) => {
    const at = 4 + 5 * index;
    // stream_type
    body[at] = stream.streamType;
    // reserved '111', elementary_PID
    body[at + 1] = 0xe0 | ((stream.elementaryPid >> 8) & 0x1f);
    body[at + 2] = stream.elementaryPid & 0xff;
    // reserved '1111', ES_info_length 0
    body[at + 3] = 0xf0;
    body[at + 4] = 0;
  });
  return psiSection(0x02, pmt.programNumber, body);
}

/**
 * One transport packet carrying a whole section: payload_unit_start_indicator set, pointer_field 0
 * (the section starts right after it, §2.4.4.2), then 0xFF fill after the section, which
 * decoders discard (§2.4.4: stuffing after a section's end).
 */
export function sectionPacket(pid: number, continuityCounter: number, section: Uint8Array): Uint8Array {
  if (section.length + 1 > TS_PACKET_BODY_SIZE) throw new RangeError(`section of ${section.length} bytes does not fit one packet`);
  const packet = new Uint8Array(TS_PACKET_SIZE).fill(0xff);
  writeTransportPacketHeader(packet, 0, { pid, payloadUnitStart: true, hasAdaptationField: false, hasPayload: true, continuityCounter });
  // pointer_field
  packet[4] = 0;
  packet.set(section, 5);
  return packet;
}
