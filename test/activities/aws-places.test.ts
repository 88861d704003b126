import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDomainCommand } from '@aws-sdk/client-opensearch';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isRetryableAwsError } from '../../src/activities/aws-errors.js';
import { awsClientsFor, type ActivityDeps } from '../../src/activities/deps.js';
import { createAwsClients, destroyAwsClients } from '../../src/aws/clients.js';
import { createPlaceClients, roleSessionName, type PlaceClients } from '../../src/aws/places.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { FailureTypes } from '../../src/model/failures.js';
import type { Place } from '../../src/model/place.js';

/**
 * The worker's clients per place (src/aws/places.ts) against the emulator's STS and per-place
 * state, through the real SDK clients and @aws-sdk/credential-providers.
 */

const WORKER = { accessKeyId: 'AKIDWORKER', secretAccessKey: 'worker-secret-never-shown' };
const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
const GUARDED = 'arn:aws:iam::345678901234:role/guarded';
const EU: Place = { region: 'eu-west-1', roleArn: ROLE };

let emulator: RunningEmulator;
let places: PlaceClients | undefined;

beforeAll(async () => {
  emulator = await startEmulator({
    roles: [{ arn: ROLE }, { arn: GUARDED, externalId: 'team-42' }],
  });
});
afterAll(async () => {
  await emulator.stop();
});
beforeEach(async () => {
  await emulator.control.reset();
});
afterEach(() => {
  places?.destroy();
  places = undefined;
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

function make(options: Parameters<typeof createPlaceClients>[0] = {}): PlaceClients {
  places = createPlaceClients({
    endpoint: emulator.url,
    credentials: WORKER,
    maxAttempts: 1,
    identity: '4242@worker-host',
    ...options,
  });
  return places;
}

async function assumeRoleCalls(): Promise<number> {
  return (await emulator.control.calls({ service: 'sts', operation: 'AssumeRole' })).length;
}

async function rejection(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }
  throw new Error('expected a rejection');
}

describe('clients per place', () => {
  it("one AssumeRole per place, shared by all of the place's clients and calls; one set of clients per place", async () => {
    const p = make();
    await emulator.control.at({ region: 'eu-west-1', roleArn: ROLE }).seedDomains([{ name: 'search-eu' }]);
    const [a, b] = await Promise.all([p.clientsFor(EU), p.clientsFor({ ...EU })]);
    expect(a).toBe(b);
    for (let i = 0; i < 3; i++)
      await a.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    await a.s3.send(new ListBucketsCommand({}));
    await a.cloudwatch.send(new DescribeAlarmsCommand({}));
    expect(await assumeRoleCalls()).toBe(1);
    expect(await p.clientsFor(EU)).toBe(a);

    // Every call acted in the role's account, in the place's Region.
    const calls = (await emulator.control.calls()).filter((c) => c.service !== 'sts');
    expect(new Set(calls.map((c) => `${c.account}/${c.region}`))).toEqual(
      new Set(['210987654321/eu-west-1']),
    );
    const [session] = await emulator.control.sessions();
    expect(session).toMatchObject({ roleArn: ROLE, sessionName: 'package-rollouts-4242@worker-host' });

    // Another Region of the same role is another place, with its own session.
    const apac = await p.clientsFor({ region: 'ap-southeast-2', roleArn: ROLE });
    expect(apac).not.toBe(a);
    expect(await assumeRoleCalls()).toBe(2);
    expect(p.size()).toBe(2);
  });

  it("a place without a role uses the worker's own credentials in that Region, no AssumeRole", async () => {
    const p = make();
    await emulator.control.at({ region: 'eu-central-1' }).seedDomains([{ name: 'search-de' }]);
    const clients = await p.clientsFor({ region: 'eu-central-1' });
    const described = await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-de' }));
    expect(described.DomainStatus!.ARN).toBe('arn:aws:es:eu-central-1:123456789012:domain/search-de');
    expect(await assumeRoleCalls()).toBe(0);
  });

  it('passes the external id the role requires', async () => {
    const p = make();
    await emulator.control.at({ region: 'us-west-2', roleArn: GUARDED }).seedDomains([{ name: 'guarded' }]);
    const clients = await p.clientsFor({ region: 'us-west-2', roleArn: GUARDED, externalId: 'team-42' });
    const described = await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'guarded' }));
    expect(described.DomainStatus!.ARN).toBe('arn:aws:es:us-west-2:345678901234:domain/guarded');
    const without = await rejection(p.clientsFor({ region: 'us-west-2', roleArn: GUARDED }));
    expect(without.type).toBe(FailureTypes.PlaceUnreachable);
    expect(without.nonRetryable).toBe(true);
  });

  it('a session that ends early is assumed anew on the next attempt, and the expired answer is retryable', async () => {
    const p = make();
    await emulator.control.at({ region: 'eu-west-1', roleArn: ROLE }).seedDomains([{ name: 'search-eu' }]);
    const clients = await p.clientsFor(EU);
    await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    expect(await assumeRoleCalls()).toBe(1);

    // The session is ended by STS long before its Expiration (revoked, say).
    await emulator.control.expireSessions(ROLE);
    const failed = await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' })).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect((failed as { name?: string }).name).toMatch(/^ExpiredToken/);
    expect(isRetryableAwsError(failed)).toBe(true);

    // The retry (an activity's next attempt asks for the place's clients again) signs with a new
    // session, shared by the place's clients.
    const renewed = await p.clientsFor(EU);
    expect(renewed).not.toBe(clients);
    await renewed.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    await renewed.s3.send(new ListBucketsCommand({}));
    expect(await p.clientsFor(EU)).toBe(renewed);
    expect(await assumeRoleCalls()).toBe(2);
    expect((await emulator.control.sessions()).map((s) => s.expired)).toEqual([true, false]);
  });

  it('renews the session before it expires: one more AssumeRole for all the clients, then calls go on', async () => {
    const p = make({ durationSeconds: 900 });
    await emulator.control.at({ region: 'eu-west-1', roleArn: ROLE }).seedDomains([{ name: 'search-eu' }]);
    const clients = await p.clientsFor(EU);
    await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    await clients.s3.send(new ListBucketsCommand({}));
    expect(await assumeRoleCalls()).toBe(1);
    const [first] = await emulator.control.sessions();

    // 11 of the session's 15 minutes later (the SDK's clock and the emulator's STS's alike).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 11 * 60_000);
    await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    await clients.s3.send(new ListBucketsCommand({}));
    await clients.cloudwatch.send(new DescribeAlarmsCommand({}));
    expect(await assumeRoleCalls()).toBe(2);
    const sessions = await emulator.control.sessions();
    expect(sessions).toHaveLength(2);
    expect(sessions.every((s) => !s.expired)).toBe(true);
    expect(sessions[0]!.accessKeyId).toBe(first!.accessKeyId);
    // 16 minutes in, the first session has ended; every client signs with the renewed one.
    vi.setSystemTime(Date.now() + 5 * 60_000);
    expect((await emulator.control.sessions()).map((s) => s.expired)).toEqual([true, false]);
    await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    await clients.s3.send(new ListBucketsCommand({}));
    await clients.cloudwatch.send(new DescribeAlarmsCommand({}));
    await clients.opensearchSingleAttempt.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    expect(await assumeRoleCalls()).toBe(2);
  });

  it('a role that cannot be assumed fails its place only: PlaceUnreachable naming the role and STS’s answer', async () => {
    const p = make();
    const deps: ActivityDeps = {
      aws: createAwsClients({ endpoint: emulator.url, region: 'us-east-1', credentials: WORKER }),
      awsForPlace: (place) => p.clientsFor(place),
    };
    try {
      const nobody = 'arn:aws:iam::210987654321:role/nobody';
      const failure = await rejection(awsClientsFor(deps, { region: 'eu-west-1', roleArn: nobody }));
      expect(failure.type).toBe(FailureTypes.PlaceUnreachable);
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toBe(
        `cannot assume role ${nobody} for eu-west-1: AccessDenied: User: arn:aws:iam::123456789012:user/emulator is not authorized to perform: sts:AssumeRole on resource: ${nobody}`,
      );
      expect(failure.details?.[0]).toMatchObject({
        service: 'sts',
        operation: 'AssumeRole',
        code: 'AccessDenied',
        httpStatus: 403,
      });
      expect(JSON.stringify([failure.message, failure.details])).not.toContain(WORKER.secretAccessKey);
      // The refusal is remembered: the next domain of that place does not ask STS again.
      await rejection(awsClientsFor(deps, { region: 'eu-west-1', roleArn: nobody }));
      expect(await assumeRoleCalls()).toBe(1);

      // Other places are served.
      await emulator.control.at({ region: 'eu-west-1', roleArn: ROLE }).seedDomains([{ name: 'search-eu' }]);
      const good = await awsClientsFor(deps, EU);
      await good.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
      // Without a place: the worker's own clients.
      expect(await awsClientsFor(deps, undefined)).toBe(deps.aws);
    } finally {
      destroyAwsClients(deps.aws);
    }
  });

  it('STS throttling is a retryable PlaceUnreachable, and is asked again on the next attempt', async () => {
    const p = make();
    await emulator.control.addFault({ service: 'sts', throttleProbability: 1, remaining: 1 });
    const throttled = await rejection(p.clientsFor(EU));
    expect(throttled.type).toBe(FailureTypes.PlaceUnreachable);
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.message).toContain(
      `cannot assume role ${ROLE} for eu-west-1: Throttling: Rate exceeded`,
    );
    await p.clientsFor(EU);
    expect(await assumeRoleCalls()).toBe(2);
  });

  it("with no endpoint given, the SDK's endpoint variables apply to every place, STS included", async () => {
    vi.stubEnv('AWS_ENDPOINT_URL', emulator.url);
    vi.stubEnv('AWS_ACCESS_KEY_ID', WORKER.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', WORKER.secretAccessKey);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    places = createPlaceClients({ identity: 'env-worker', maxAttempts: 1 });
    await emulator.control.at({ region: 'eu-west-1', roleArn: ROLE }).seedDomains([{ name: 'search-eu' }]);
    const clients = await places.clientsFor(EU);
    const described = await clients.opensearch.send(new DescribeDomainCommand({ DomainName: 'search-eu' }));
    expect(described.DomainStatus!.ARN).toBe('arn:aws:es:eu-west-1:210987654321:domain/search-eu');
    const [assume] = await emulator.control.calls({ service: 'sts', operation: 'AssumeRole' });
    expect(assume).toMatchObject({ account: '123456789012', region: 'eu-west-1', httpStatus: 200 });
  });

  it('role session names stay within STS’s alphabet and length', () => {
    expect(roleSessionName('12345@host.example.com')).toBe('package-rollouts-12345@host.example.com');
    expect(roleSessionName('w 1/ä')).toBe('package-rollouts-w-1--');
    expect(roleSessionName('x'.repeat(100))).toHaveLength(64);
  });

  it('destroy() lets every cached client go', async () => {
    const p = make();
    await p.clientsFor({ region: 'eu-west-1' });
    expect(p.size()).toBe(1);
    p.destroy();
    expect(p.size()).toBe(0);
  });
});
