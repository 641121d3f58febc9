import { randomInt } from 'node:crypto';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new stream Version: 20 random alphanumerics, like the real service's (e.g. davN9FKg4vjyKdCSs0f4). */
export function newVersion(): string {
  let version = '';
  for (let i = 0; i < 20; i++) version += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return version;
}

/** arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<creation-ms> (kvs-api.md §7.1). */
export function streamArn(region: string, accountId: string, name: string, creationTimeMs: number): string {
  return `arn:aws:kinesisvideo:${region}:${accountId}:stream/${name}/${creationTimeMs}`;
}

/** The default key AWS reports for streams created without KmsKeyId. */
export function defaultKmsKeyArn(region: string, accountId: string): string {
  return `arn:aws:kms:${region}:${accountId}:alias/aws/kinesisvideo`;
}
