import { ACCOUNT_RESOURCE } from '../../access/actions.js';
import { InvalidArgumentException } from '../../domain/errors.js';
import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { toStreamInfo } from './stream-info.js';

interface ListStreamsInput {
  MaxResults?: number;
  NextToken?: string;
  StreamNameCondition?: { ComparisonOperator?: 'BEGINS_WITH'; ComparisonValue?: string };
}

const DEFAULT_MAX_RESULTS = 10_000;

/**
 * ListStreams, by name. NextToken is the last name returned, base64-encoded (the model's token alphabet).
 *
 * Authorization: ListStreams has no resource type in IAM (Service Authorization Reference), so it
 * is evaluated against "*", and a caller allowed it sees every stream of the account, including
 * ones it may not describe: AWS does not filter the list by the caller's other permissions, and
 * neither does openkvs (what the list shows — names, ARNs, status — is all it grants).
 */
export const listStreams: JsonOperation<ListStreamsInput> = {
  name: 'ListStreams',
  shape: operations.ListStreams,
  async handle(input, ctx) {
    ctx.access.authorize(ACCOUNT_RESOURCE);
    const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
    const condition = input.StreamNameCondition;
    if (condition && (condition.ComparisonOperator === undefined) !== (condition.ComparisonValue === undefined)) {
      throw new InvalidArgumentException('StreamNameCondition needs both ComparisonOperator and ComparisonValue.');
    }
    const page = await ctx.index.listStreams({
      afterName: input.NextToken ? decodeToken(input.NextToken) : undefined,
      namePrefix: condition?.ComparisonValue,
      limit: limit + 1,
    });
    const more = page.length > limit;
    const streams = more ? page.slice(0, limit) : page;
    return {
      StreamInfoList: streams.map(toStreamInfo),
      NextToken: more ? encodeToken(streams[streams.length - 1]!.name) : null,
    };
  },
};

function encodeToken(lastName: string): string {
  return Buffer.from(`v1:${lastName}`).toString('base64');
}

function decodeToken(token: string): string {
  const decoded = Buffer.from(token, 'base64').toString();
  if (!decoded.startsWith('v1:') || decoded.length === 3) throw new InvalidArgumentException('NextToken is invalid.');
  return decoded.slice(3);
}
