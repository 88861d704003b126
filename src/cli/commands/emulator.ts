import type { RunningEmulator } from '../../emulator/server.js';
import { list, noPositionals, num, str, type Options } from '../args.js';
import type { Command } from '../command.js';
import { UsageError } from '../errors.js';
import { untilSignal } from '../signals.js';

const EMULATOR_OPTIONS: Options = {
  port: { type: 'string', arg: 'n', help: 'listen on this port (0 = any free port) [4566]' },
  host: { type: 'string', arg: 'host', help: 'listen on this address [127.0.0.1]' },
  'state-file': { type: 'string', arg: 'path', help: 'keep state in this file across restarts [in memory]' },
  'seed-domains': { type: 'string', arg: 'a,b,c', help: 'create these OpenSearch domains at start' },
  buckets: { type: 'string', arg: 'a,b', help: 'create these S3 buckets at start (e.g. a staging bucket)' },
  'association-ms': { type: 'string', arg: 'ms', help: 'how long an association takes [500]' },
  role: {
    type: 'string',
    multiple: true,
    arg: 'arn[,externalId]',
    help: "an IAM role its STS lets callers assume (fleets: keys handed out act in the role's account); repeatable",
  },
};

/** Creates buckets through the S3 API itself; one that exists already is fine. */
export async function createBuckets(emulatorUrl: string, buckets: string[]): Promise<void> {
  if (buckets.length === 0) return;
  const { CreateBucketCommand } = await import('@aws-sdk/client-s3');
  const { createEmulatorAwsClients, destroyAwsClients } = await import('../../aws/clients.js');
  const aws = createEmulatorAwsClients(emulatorUrl);
  try {
    for (const Bucket of buckets)
      await aws.s3.send(new CreateBucketCommand({ Bucket })).catch((err: Error) => {
        if (!/BucketAlreadyOwnedByYou|BucketAlreadyExists/.test(err.name)) throw err;
      });
  } finally {
    destroyAwsClients(aws);
  }
}

export const emulatorCommand: Command = {
  name: 'emulator',
  summary: 'run the AWS emulator (OpenSearch packages and applications, IoT packages, S3) until Ctrl-C',
  usage:
    'emulator [--port <n>] [--state-file <path>] [--seed-domains <a,b,c>] [--buckets <a,b>] [--role <arn[,externalId]> ...]',
  details: [
    'Point the worker and the CLI at it with AWS_ENDPOINT_URL=<url> (any credentials and region).',
    'With --json: prints {"url": ...} once it accepts requests.',
  ].join('\n'),
  options: EMULATOR_OPTIONS,
  connects: false,
  async run(ctx) {
    noPositionals(ctx.positionals, ctx.command);
    const associationMs = num(ctx.values, 'association-ms', EMULATOR_OPTIONS);
    // Loaded here: the emulator is no cost to the other commands' startup.
    const { startEmulator } = await import('../../emulator/server.js');
    const { parseRoleFlag } = await import('../../emulator/sts-roles.js');
    const roles = ((ctx.values.role as string[] | undefined) ?? []).map((flag) => {
      try {
        return parseRoleFlag(flag);
      } catch (err) {
        throw new UsageError(
          `--role ${flag}: ${(err as Error).message.replace(/^--role must be /, 'must be ')}`,
        );
      }
    });
    const emulator: RunningEmulator = await startEmulator({
      port: num(ctx.values, 'port', EMULATOR_OPTIONS) ?? 4566,
      ...(str(ctx.values, 'host') ? { host: str(ctx.values, 'host') } : {}),
      ...(str(ctx.values, 'state-file') ? { stateFile: str(ctx.values, 'state-file') } : {}),
      ...(associationMs !== undefined ? { durations: { associationMs } } : {}),
      ...(roles.length > 0 ? { roles } : {}),
    });
    try {
      const domains = list(str(ctx.values, 'seed-domains') ?? '');
      if (domains.length > 0) await emulator.control.seedDomains(domains.map((name) => ({ name })));
      const buckets = list(str(ctx.values, 'buckets') ?? '');
      await createBuckets(emulator.url, buckets);
      ctx.out.result({ url: emulator.url, domains, buckets }, () => [
        `emulator listening on ${emulator.url}`,
        `  use it: AWS_ENDPOINT_URL=${emulator.url} AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test`,
        '  Ctrl-C stops it',
      ]);
      await untilSignal();
    } finally {
      await emulator.stop();
    }
    ctx.out.notice('emulator stopped');
    return 0;
  },
};
