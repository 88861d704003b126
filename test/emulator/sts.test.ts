import { DescribeDomainCommand, OpenSearchClient } from '@aws-sdk/client-opensearch';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentials, failure, useEmulator } from './harness.js';

/** The emulator's STS through @aws-sdk/client-sts (awsQuery), as the worker's credential provider calls it. */

const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
const GUARDED = 'arn:aws:iam::210987654321:role/guarded';
const LONG = 'arn:aws:iam::345678901234:role/ops/long-sessions';
const h = useEmulator();
let sts: STSClient;
const made: Array<{ destroy(): void }> = [];

beforeAll(() => {
  sts = new STSClient({ endpoint: h.emulator.url, region: 'us-east-1', credentials, maxAttempts: 1 });
});
afterAll(() => {
  sts?.destroy();
  made.forEach((c) => c.destroy());
});

async function register(): Promise<void> {
  await h.control.registerRoles([
    { arn: ROLE },
    { arn: GUARDED, externalId: 'team-42' },
    { arn: LONG, maxSessionDurationSeconds: 43_200 },
  ]);
}

function signedWith(creds: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string }) {
  const c = {
    accessKeyId: creds.AccessKeyId!,
    secretAccessKey: creds.SecretAccessKey!,
    sessionToken: creds.SessionToken!,
  };
  const common = { endpoint: h.emulator.url, region: 'us-east-1', credentials: c, maxAttempts: 1 };
  const out = {
    sts: new STSClient(common),
    opensearch: new OpenSearchClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
  };
  made.push(...Object.values(out));
  return out;
}

describe('STS AssumeRole', () => {
  it("hands out session credentials with an Expiration that act in the role's account", async () => {
    await register();
    const before = Date.now();
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'package-rollouts-w1' }),
    );
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey!.length).toBe(40);
    expect(c.SessionToken!.length).toBeGreaterThan(100);
    // The default DurationSeconds is one hour; STS answers whole seconds.
    expect(c.Expiration!.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000);
    expect(c.Expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(out.AssumedRoleUser!.Arn).toBe(
      'arn:aws:sts::210987654321:assumed-role/rollouts/package-rollouts-w1',
    );
    expect(out.AssumedRoleUser!.AssumedRoleId).toMatch(/^AROA[A-Z2-7]{17}:package-rollouts-w1$/);

    const session = signedWith(c);
    const identity = await session.sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('210987654321');
    expect(identity.Arn).toBe(out.AssumedRoleUser!.Arn);
    const own = await sts.send(new GetCallerIdentityCommand({}));
    expect(own.Account).toBe('123456789012');
    expect(own.Arn).toBe('arn:aws:iam::123456789012:user/emulator');

    const sessions = await h.control.sessions();
    expect(sessions).toEqual([
      {
        accessKeyId: c.AccessKeyId,
        roleArn: ROLE,
        sessionName: 'package-rollouts-w1',
        expiration: c.Expiration!.toISOString(),
        expired: false,
      },
    ]);
  });

  it('answers AccessDenied in STS words for an unknown role and for a wrong or missing external id', async () => {
    await register();
    const unknown = 'arn:aws:iam::210987654321:role/nobody';
    const denied = await failure(
      sts.send(new AssumeRoleCommand({ RoleArn: unknown, RoleSessionName: 's1' })),
    );
    expect(denied).toMatchObject({
      name: 'AccessDenied',
      status: 403,
      message: `User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: sts:AssumeRole on resource: ${unknown}`,
    });
    const missing = await failure(
      sts.send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: 's1' })),
    );
    expect(missing.name).toBe('AccessDenied');
    expect(missing.message).toContain(`on resource: ${GUARDED}`);
    const wrong = await failure(
      sts.send(new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: 's1', ExternalId: 'team-41' })),
    );
    expect(wrong.name).toBe('AccessDenied');
    const right = await sts.send(
      new AssumeRoleCommand({ RoleArn: GUARDED, RoleSessionName: 's1', ExternalId: 'team-42' }),
    );
    expect(right.AssumedRoleUser!.Arn).toBe('arn:aws:sts::210987654321:assumed-role/guarded/s1');
  });

  it('validates RoleSessionName and ExternalId as STS does: length first, then the pattern', async () => {
    await register();
    const assume = (RoleSessionName: string, ExternalId?: string) =>
      failure(sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName, ExternalId })));
    expect((await assume('s')).message).toBe(
      "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect((await assume('x'.repeat(65))).message).toContain(
      "at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64",
    );
    expect((await assume('has space')).message).toContain(
      "Value 'has space' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    expect((await assume('ok-name', 'x')).message).toContain(
      "at 'externalId' failed to satisfy constraint: Member must have length greater than or equal to 2",
    );
    expect((await assume('s', 'bad id!')).message).toBe(
      "2 validation errors detected: Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2; " +
        "Value 'bad id!' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*",
    );
  });

  it('validates DurationSeconds as STS does: 900-43200, and the role’s MaxSessionDuration', async () => {
    await register();
    const assume = (RoleArn: string, DurationSeconds: number) =>
      sts.send(new AssumeRoleCommand({ RoleArn, RoleSessionName: 'bounds', DurationSeconds }));
    const short = await failure(assume(ROLE, 899));
    expect(short).toMatchObject({ name: 'ValidationError', status: 400 });
    expect(short.message).toBe(
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    const long = await failure(assume(LONG, 43_201));
    expect(long.message).toContain('Member must have value less than or equal to 43200');
    // Above the role's MaxSessionDuration (IAM's default one hour).
    expect((await failure(assume(ROLE, 7_200))).message).toBe(
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
    const min = await assume(ROLE, 900);
    expect(min.Credentials!.Expiration!.getTime()).toBeLessThanOrEqual(Date.now() + 900_000);
    const max = await assume(LONG, 43_200);
    expect(max.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 43_000_000);
    // Role chaining is capped at one hour.
    const chained = signedWith(max.Credentials!);
    expect(
      (
        await failure(
          chained.sts.send(
            new AssumeRoleCommand({ RoleArn: LONG, RoleSessionName: 'chained', DurationSeconds: 3_601 }),
          ),
        )
      ).message,
    ).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  });

  it('refuses ended sessions with ExpiredToken on every service, and a key sent without its token', async () => {
    await register();
    await h.control.at({ roleArn: ROLE }).seedDomains([{ name: 'team-search' }]);
    const out = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'expiring' }));
    const session = signedWith(out.Credentials!);
    await session.opensearch.send(new DescribeDomainCommand({ DomainName: 'team-search' }));

    expect(await h.control.expireSessions(ROLE)).toBe(1);
    expect(await failure(session.sts.send(new GetCallerIdentityCommand({})))).toMatchObject({
      name: 'ExpiredToken',
      status: 403,
      message: 'The security token included in the request is expired',
    });
    expect(
      await failure(session.opensearch.send(new DescribeDomainCommand({ DomainName: 'team-search' }))),
    ).toMatchObject({ name: 'ExpiredTokenException', status: 403 });
    expect((await failure(session.s3.send(new ListBucketsCommand({})))).name).toBe('ExpiredToken');
    expect((await h.control.sessions())[0]!.expired).toBe(true);

    // A fresh session works again; its key without the session token is refused.
    const fresh = await sts.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'fresh' }));
    const tokenless = signedWith({ ...fresh.Credentials!, SessionToken: 'forged' });
    expect((await failure(tokenless.sts.send(new GetCallerIdentityCommand({})))).name).toBe(
      'InvalidClientTokenId',
    );
    const identity = await signedWith(fresh.Credentials!).sts.send(new GetCallerIdentityCommand({}));
    expect(identity.Account).toBe('210987654321');
  });

  it('the control API refuses a role that is not an IAM role ARN, and reset returns to the startup roles', async () => {
    await expect(h.control.registerRoles([{ arn: 'arn:aws:iam::12:role/x' }])).rejects.toThrow(
      /IAM role ARN/,
    );
    await register();
    expect((await h.control.roles()).map((r) => r.arn)).toEqual([ROLE, GUARDED, LONG]);
    await h.control.reset();
    expect(await h.control.roles()).toEqual([]);
    expect(await h.control.sessions()).toEqual([]);
  });
});
