/**
 * The policy the authorization benchmarks give every key: `count` statements, as a large fleet's
 * would look. Every statement but the last allows on other sites' streams (so none of them
 * matches a bench stream and all are evaluated), one denies DeleteStream everywhere, and the last
 * allows what the bench does (PutMedia and the reads) on `stream/<prefix>*`: the worst case for
 * IAM-style evaluation, where every statement has to be looked at before the answer is known.
 */
export function benchPolicy(count: number, prefix: string): string {
  const statements: object[] = [];
  for (let i = 0; i < count - 2; i++) {
    statements.push({
      Sid: `Site${i}`,
      Effect: 'Allow',
      Action: ['kinesisvideo:PutMedia', 'kinesisvideo:GetMedia', 'kinesisvideo:ListFragments', 'kinesisvideo:Describe*', 'kinesisvideo:GetDataEndpoint'],
      Resource: [`arn:aws:kinesisvideo:*:*:stream/site-${i}-cam-*/*`, `arn:aws:kinesisvideo:us-east-1:000000000000:stream/site-${i}-door-??/*`],
    });
  }
  statements.push({ Sid: 'NeverDelete', Effect: 'Deny', Action: 'kinesisvideo:DeleteStream', Resource: '*' });
  statements.push({
    Sid: 'Bench',
    Effect: 'Allow',
    Action: ['kinesisvideo:PutMedia', 'kinesisvideo:GetMedia', 'kinesisvideo:ListFragments', 'kinesisvideo:DescribeStream', 'kinesisvideo:GetDataEndpoint', 'kinesisvideo:CreateStream'],
    Resource: `arn:aws:kinesisvideo:*:*:stream/${prefix}*/*`,
  });
  return JSON.stringify({ Version: '2012-10-17', Statement: statements }, null, 2);
}

export const BENCH_KEYS = {
  plain: { accessKeyId: 'AKIDBENCHPLAIN', secretAccessKey: 'bench-plain-secret' },
  scoped: { accessKeyId: 'AKIDBENCHSCOPED', secretAccessKey: 'bench-scoped-secret' },
};

/** A credentials file: `plain` without a policy, `scoped` with `policy.json` beside it. */
export function benchCredentialsFile(): string {
  const { plain, scoped } = BENCH_KEYS;
  return (
    `[plain]\naws_access_key_id=${plain.accessKeyId}\naws_secret_access_key=${plain.secretAccessKey}\n\n` +
    `[scoped]\naws_access_key_id=${scoped.accessKeyId}\naws_secret_access_key=${scoped.secretAccessKey}\npolicy=policy.json\n`
  );
}
