/**
 * A level-1 Tags element (RFC 9559 §5.1.8), flattened: every SimpleTag, nested ones included,
 * becomes one { name, value } in document order (a SimpleTag before the SimpleTags inside it).
 */
import { forEachChild, readString, type Span } from './ebml-reader.js';
import { MkvFormatError, type MkvTag } from './events.js';
import { MatroskaId } from './ids.js';

/** Nesting deeper than this is rejected rather than recursed into. */
export const MAX_SIMPLE_TAG_DEPTH = 16;

/** Decodes a Tags element's data. Targets are ignored: KVS metadata applies to the fragment. */
export function decodeTags(tags: Span): MkvTag[] {
  const out: MkvTag[] = [];
  forEachChild(tags, (id, tag) => {
    if (id !== MatroskaId.Tag) return;
    forEachChild(tag, (childId, child) => {
      if (childId === MatroskaId.SimpleTag) flattenSimpleTag(child, out, 1);
    });
  });
  return out;
}

/** Appends the SimpleTag then its nested SimpleTags. TagName is mandatory; TagString defaults to ''. */
function flattenSimpleTag(simpleTag: Span, out: MkvTag[], depth: number): void {
  const at = simpleTag.base + simpleTag.start;
  if (depth > MAX_SIMPLE_TAG_DEPTH) throw new MkvFormatError('SimpleTag nested too deep', at);
  const index = out.length;
  out.push({ name: '', value: '' }); // placeholder, so nested tags land after their parent
  let name: string | undefined;
  let value = '';
  forEachChild(simpleTag, (id, child) => {
    if (id === MatroskaId.TagName) name = readString(child);
    else if (id === MatroskaId.TagString) value = readString(child);
    else if (id === MatroskaId.SimpleTag) flattenSimpleTag(child, out, depth + 1);
  });
  if (name === undefined) throw new MkvFormatError('SimpleTag without TagName', at);
  out[index] = { name, value };
}
