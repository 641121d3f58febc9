import { InvalidArgumentException, TagsPerResourceExceededLimitException } from '../../domain/errors.js';
import { MAX_TAGS_PER_RESOURCE } from '../../domain/stream.js';
import type { AppContext } from '../context.js';

/** Adds or overwrites tags on a resource, keeping the 50-tag limit across old and new tags. */
export async function addTags(ctx: AppContext, resourceArn: string, tags: Readonly<Record<string, string>>): Promise<void> {
  rejectReservedKeys(Object.keys(tags));
  if (!(await ctx.index.putTags(resourceArn, tags, MAX_TAGS_PER_RESOURCE))) {
    throw new TagsPerResourceExceededLimitException(
      `The resource ${resourceArn} would have more than ${MAX_TAGS_PER_RESOURCE} tags.`,
    );
  }
}

/** Tag keys starting with "aws:" belong to AWS on every tagging API. */
export function rejectReservedKeys(keys: readonly string[]): void {
  const reserved = keys.find((key) => key.toLowerCase().startsWith('aws:'));
  if (reserved !== undefined) {
    throw new InvalidArgumentException(`Tag key ${reserved} uses the reserved prefix "aws:".`);
  }
}

/** The ListTags* operations return every tag at once (50 at most), so a NextToken is never issued. */
export function rejectNextToken(nextToken: string | undefined): void {
  if (nextToken) throw new InvalidArgumentException('NextToken is invalid.');
}
