import type { JsonOperation } from '../operation.js';
import { operations } from '../shapes/kinesisvideo.js';
import { findStream, type StreamRef } from './stream-access.js';

interface GetDataEndpointInput extends StreamRef {
  APIName: string;
}

/** One process serves every data-plane API, so every APIName gets the server's own public URL. */
export const getDataEndpoint: JsonOperation<GetDataEndpointInput> = {
  name: 'GetDataEndpoint',
  shape: operations.GetDataEndpoint,
  async handle(input, ctx) {
    await findStream(ctx, input);
    return { DataEndpoint: ctx.publicUrl };
  },
};
