/**
 * One restJson1 API call from a CLI command: POST `<endpoint>/<operationPath>` with a JSON body,
 * SigV4-signed like the AWS SDKs sign it (payload hash of the body) when the AWS default chain
 * finds credentials, unsigned otherwise (open-mode openkvs). A non-200 answer becomes the AWS
 * error it names; a 200 answer is returned unread, so streamed bodies (GetClip) stay streamed.
 */
import { createHash } from 'node:crypto';
import { resolveCredentials, resolveRegion } from '../client/aws-config.js';
import { httpErrorFrom } from '../client/errors.js';
import { signRequest } from '../client/sigv4-sign.js';
import { USER_AGENT } from '../client/version.js';

export async function signedPost(endpoint: string, operationPath: string, body: object, region: string | undefined): Promise<Response> {
  const url = new URL(operationPath, endpoint.endsWith('/') ? endpoint : `${endpoint}/`);
  const text = JSON.stringify(body);
  let headers: Record<string, string> = { host: url.host, 'content-type': 'application/json', 'user-agent': USER_AGENT };
  const credentials = await resolveCredentials(undefined);
  if (credentials) {
    const payloadHash = createHash('sha256').update(text).digest('hex');
    headers = signRequest({ method: 'POST', path: url.pathname, headers }, { credentials, region: resolveRegion(region, url), nowMs: Date.now(), payloadHash });
  }
  // fetch sends Host itself (the same url.host that was signed) and refuses to be given one.
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name !== 'host'));
  const res = await fetch(url, { method: 'POST', headers: sent, body: text });
  if (res.status !== 200) throw httpErrorFrom(res.status, Object.fromEntries(res.headers), await res.text());
  return res;
}
