/** The EBML Header (RFC 8794 §11.2) of a PutMedia body: EBML 1, DocType "matroska" or "webm". */
import { forEachChild, readString, readUint, type Span } from './ebml-reader.js';
import { MkvFormatError } from './events.js';
import { MatroskaId } from './ids.js';
import { MAX_ID_WIDTH, MAX_SIZE_WIDTH } from './vint.js';

export const ACCEPTED_DOC_TYPES: ReadonlySet<string> = new Set(['matroska', 'webm']);

export interface EbmlHeader {
  readonly docType: string;
}

/** Decodes and checks an EBML Header's data; `header` spans the data, not the ID and size. */
export function decodeEbmlHeader(header: Span): EbmlHeader {
  let docType: string | undefined;
  let readVersion = 1; // EBMLReadVersion default (RFC 8794 §11.2)
  let maxIdLength = MAX_ID_WIDTH; // EBMLMaxIDLength default
  let maxSizeLength = MAX_SIZE_WIDTH; // EBMLMaxSizeLength default
  forEachChild(header, (id, child) => {
    if (id === MatroskaId.DocType) docType = readString(child);
    else if (id === MatroskaId.EBMLReadVersion) readVersion = readUint(child);
    else if (id === MatroskaId.EBMLMaxIDLength) maxIdLength = readUint(child);
    else if (id === MatroskaId.EBMLMaxSizeLength) maxSizeLength = readUint(child);
  });
  const at = header.base + header.start;
  if (readVersion !== 1) throw new MkvFormatError(`EBMLReadVersion ${readVersion} is not 1`, at);
  if (maxIdLength > MAX_ID_WIDTH) throw new MkvFormatError(`EBMLMaxIDLength ${maxIdLength} is not supported`, at);
  if (maxSizeLength > MAX_SIZE_WIDTH) throw new MkvFormatError(`EBMLMaxSizeLength ${maxSizeLength} is not supported`, at);
  if (docType === undefined) throw new MkvFormatError('EBML header without DocType', at);
  if (!ACCEPTED_DOC_TYPES.has(docType)) throw new MkvFormatError(`DocType "${docType}" is not matroska or webm`, at);
  return { docType };
}
