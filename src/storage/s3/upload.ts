import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Uploads with a known length. A body of unknown length would go out chunked (aws-chunked),
 * which many S3 clones refuse, so a streamed input is cut into parts: if it ends within the first
 * part it is one PutObject, otherwise a multipart upload. Either way nothing becomes visible
 * under the key until the upload completes, and an input that fails leaves the old object.
 */

/** S3's minimum part size is 5 MiB (all parts but the last); bigger parts mean fewer requests. */
export const PART_BYTES = 8 * 1024 * 1024;

export interface ObjectRef {
  readonly client: S3Client;
  readonly bucket: string;
  readonly key: string;
}

export async function putBuffer(ref: ObjectRef, body: Uint8Array): Promise<void> {
  await ref.client.send(
    new PutObjectCommand({ Bucket: ref.bucket, Key: ref.key, Body: body, ContentLength: body.byteLength }),
  );
}

export async function putStream(ref: ObjectRef, data: AsyncIterable<Uint8Array>, partBytes = PART_BYTES): Promise<void> {
  const iterator = parts(data, partBytes)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const second = first.done ? first : await iterator.next();
  if (second.done) {
    await putBuffer(ref, first.done ? new Uint8Array(0) : first.value);
    return;
  }
  await multipartUpload(ref, first.value, second.value, iterator);
}

async function multipartUpload(
  ref: ObjectRef,
  firstPart: Buffer,
  secondPart: Buffer,
  rest: AsyncIterator<Buffer>,
): Promise<void> {
  const { UploadId } = await ref.client.send(new CreateMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key }));
  if (UploadId === undefined) throw new Error(`S3 gave no UploadId for ${ref.key}`);
  const completed: CompletedPart[] = [];
  const upload = async (body: Buffer) => {
    const PartNumber = completed.length + 1;
    const { ETag } = await ref.client.send(
      new UploadPartCommand({ Bucket: ref.bucket, Key: ref.key, UploadId, PartNumber, Body: body, ContentLength: body.byteLength }),
    );
    completed.push({ ETag, PartNumber });
  };
  try {
    await upload(firstPart);
    await upload(secondPart);
    for (let part = await rest.next(); !part.done; part = await rest.next()) await upload(part.value);
    await ref.client.send(
      new CompleteMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId, MultipartUpload: { Parts: completed } }),
    );
  } catch (err) {
    await ref.client.send(new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId })).catch(() => {});
    throw err;
  }
}

/** The input regrouped into buffers of exactly `partBytes` (the last one shorter, possibly empty only if all is). */
async function* parts(data: AsyncIterable<Uint8Array>, partBytes: number): AsyncIterable<Buffer> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for await (const chunk of data) {
    let at = 0;
    while (at < chunk.byteLength) {
      const take = Math.min(partBytes - pendingBytes, chunk.byteLength - at);
      pending.push(chunk.subarray(at, at + take));
      pendingBytes += take;
      at += take;
      if (pendingBytes === partBytes) {
        yield Buffer.concat(pending);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}
