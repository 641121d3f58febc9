/**
 * `openkvs credentials issue`: short-lived credentials for a device, from the server at
 * --endpoint, signed with the issuing key (the AWS default chain: env, ~/.aws, ...).
 *
 * Plain output: three lines a shell can read; `--json`: the AWS `credential_process` format
 * (https://docs.aws.amazon.com/cli/latest/topic/config-vars.html#sourcing-credentials-from-external-processes),
 * so a device's ~/.aws/config can run this command itself:
 *
 *   [profile camera-17]
 *   credential_process = openkvs credentials issue --endpoint https://kvs.example --policy /etc/cam.json --ttl 12h --name camera-17 --json
 *
 * Exit codes: 0 issued, 1 the server refused (its AWS error is printed), 2 usage errors.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseDuration } from '../access/issued-credentials.js';
import { endpointFrom, UsageError } from './put-media.js';
import { signedPost } from './signed-post.js';

interface IssueFlags {
  policy?: string;
  ttl?: string;
  name?: string;
  endpoint?: string;
  region?: string;
  json?: boolean;
}

export interface IssueCommand {
  readonly policy: string;
  readonly durationSeconds: number;
  readonly name: string | undefined;
  readonly endpoint: string;
  readonly region: string | undefined;
  readonly json: boolean;
}

interface IssuedAnswer {
  Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string };
}

export function addCredentialsCommand(program: Command): void {
  const credentials = program.command('credentials').description('short-lived credentials for devices');
  credentials
    .command('issue')
    .description("issue short-lived credentials limited by a policy (and by the issuing key's own)")
    .requiredOption('--policy <file>', 'IAM policy document (JSON) the credentials are limited to')
    .option('--ttl <duration>', 'lifetime: 900s to 36h, e.g. 3600, 90m, 12h', '12h')
    .option('--name <name>', "the credentials' name (2-32 of A-Z a-z 0-9 _+=,.@-): ${credentials-iot:ThingName} and ${aws:username} in policies")
    .option('--endpoint <url>', 'openkvs server (env OPENKVS_ENDPOINT, AWS_ENDPOINT_URL_KINESIS_VIDEO, AWS_ENDPOINT_URL)')
    .option('--region <region>', 'SigV4 region (default AWS_REGION, AWS_DEFAULT_REGION, the endpoint host, us-east-1)')
    .option('--json', 'the AWS credential_process format: {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (flags: IssueFlags, command: Command) => {
      let input: IssueCommand;
      try {
        input = parseIssueCommand(flags, process.env);
      } catch (err) {
        if (err instanceof UsageError) command.error(`openkvs credentials issue: ${err.message}`, { exitCode: 2 });
        throw err;
      }
      process.exitCode = await runIssue(input);
    });
}

export function parseIssueCommand(flags: IssueFlags, env: NodeJS.ProcessEnv): IssueCommand {
  let policy: string;
  try {
    policy = readFileSync(flags.policy ?? '', 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --policy ${flags.policy}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const ttlMs = parseDuration(flags.ttl ?? '12h');
  if (ttlMs === undefined || ttlMs % 1000 !== 0) throw new UsageError(`--ttl must be seconds or a number with s, m, h or d, got ${flags.ttl}`);
  return { policy, durationSeconds: ttlMs / 1000, name: flags.name, endpoint: endpointFrom(flags.endpoint, env), region: flags.region, json: flags.json === true };
}

export async function runIssue(input: IssueCommand): Promise<number> {
  try {
    const res = await signedPost(input.endpoint, 'openkvs/issueCredentials', { Policy: input.policy, DurationSeconds: input.durationSeconds, Name: input.name }, input.region);
    const { Credentials: c } = (await res.json()) as IssuedAnswer;
    process.stdout.write(
      input.json
        ? `${JSON.stringify({ Version: 1, AccessKeyId: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration })}\n`
        : `AccessKeyId ${c.AccessKeyId}\nSecretAccessKey ${c.SecretAccessKey}\nSessionToken ${c.SessionToken}\nExpiration ${c.Expiration}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`credentials issue: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
