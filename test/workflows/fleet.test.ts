/**
 * Fleets (docs/fleets.md) on the real dev server and the emulator's places: 3 Regions in 2
 * accounts, a Region canary under halt, a role that cannot be assumed, removal across places.
 */
import type { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PutBucketPolicyCommand } from '@aws-sdk/client-s3';
import {
  CreatePackageCommand,
  DeletePackageCommand,
  DescribePackagesCommand,
} from '@aws-sdk/client-opensearch';
import type { AwsClients } from '../../src/aws/clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { packageRemovalResult, startPackageRemoval } from '../../src/client/package-removal.js';
import type {
  DictionaryRolloutInput,
  DictionaryRolloutProgress,
  DictionaryRolloutResult,
} from '../../src/model/dictionary-rollout.js';
import { rolloutListQuery, rolloutProgress } from '../../src/client/index.js';
import { RolloutRegions } from '../../src/model/search-attributes.js';
import { createBucket, rolloutInput, STAGING_BUCKET } from '../helpers/dictionary.js';
import { createBucketAt, packagesAt } from '../helpers/fleet.js';
import type { Place } from '../../src/model/place.js';
import { recordHistory } from '../helpers/history.js';
import { listUntil, workflowMetadata } from '../helpers/visibility.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { TEST_CREDENTIALS } from '../helpers/aws.js';
import { createPlaceClients } from '../../src/aws/places.js';
import { stagingReadPolicy } from '../../src/aws/staging-policy.js';

const ROLE_B = 'arn:aws:iam::210987654321:role/rollouts';
const MISSING_ROLE = 'arn:aws:iam::333333333333:role/not-trusted';
/** A role of a third account (the throttled-AssumeRole test's place). */
const ROLE_C = 'arn:aws:iam::444444444444:role/rollouts';
const EU = { region: 'eu-west-1' };
const AP_B = { region: 'ap-southeast-2', roleArn: ROLE_B };
const BUCKETS = {
  'eu-west-1': 'staging-fleet-eu',
  'ap-southeast-2': 'staging-fleet-ap',
  'us-west-2': 'staging-none',
};

let stack: TestStack;
let clientsAt: (place: Place) => Promise<AwsClients>;
let eu: AwsClients;
let apB: AwsClients;

beforeAll(async () => {
  // The worker reaches places through its own place clients (src/aws/places.ts: STS for a role).
  stack = await startTestStack('fleet', { emulator: { roles: [{ arn: ROLE_B }] } });
});
afterAll(async () => {
  await stack?.stop();
});
// One emulator state for the file (each test has its own package and domain names): reset() would
// end the role sessions the worker's place clients hold.
beforeAll(async () => {
  await stack.emulator.control.setDurations({
    packageCopyingMs: 50,
    packageValidatingMs: 50,
    associationMs: 200,
    dissociationMs: 200,
  });
  await createBucket(stack);
  // The places in other accounts copy the staged file out of the staging bucket: its policy lets
  // their roles read (the emulator enforces bucket policies as S3 does).
  await stack.aws.s3.send(
    new PutBucketPolicyCommand({
      Bucket: STAGING_BUCKET,
      Policy: stagingReadPolicy(STAGING_BUCKET, [ROLE_B, ROLE_C]),
    }),
  );
  // What the test reads at each place, through the same place clients the worker uses.
  clientsAt = (place) => stack.places.clientsFor(place);
  eu = await clientsAt(EU);
  apB = await clientsAt(AP_B);
  await createBucketAt(eu, BUCKETS['eu-west-1']);
  await createBucketAt(apB, BUCKETS['ap-southeast-2']);
});

/** Plain names (us-east-1, the default account), eu-west-1 (same account), ap-southeast-2 (account B). */
async function seedFleet(prefix: string) {
  const home = [`${prefix}-us-1`, `${prefix}-us-2`];
  const euDomains = [`${prefix}-eu-1`, `${prefix}-eu-2`];
  const apDomains = [`${prefix}-ap-1`, `${prefix}-ap-2`];
  await stack.emulator.control.seedDomains(home.map((name) => ({ name })));
  await stack.emulator.control.at(EU).seedDomains(euDomains.map((name) => ({ name })));
  await stack.emulator.control.at(AP_B).seedDomains(apDomains.map((name) => ({ name })));
  return {
    home,
    euDomains,
    apDomains,
    domains: [
      ...home,
      ...euDomains.map((domain) => ({ domain, ...EU })),
      ...apDomains.map((domain) => ({ domain, ...AP_B })),
    ],
  };
}

function fleetInput(
  name: string,
  domains: DictionaryRolloutInput['domains'],
  text: string,
  extra: Partial<DictionaryRolloutInput> = {},
) {
  return {
    ...rolloutInput(name, [], text, extra),
    domains,
    staging: { bucket: STAGING_BUCKET, buckets: BUCKETS },
  } as DictionaryRolloutInput;
}

async function run(input: DictionaryRolloutInput) {
  const { handle, workflowId } = await startDictionaryRollout(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  const error = (await handle.result().then(
    () => undefined,
    (e: unknown) => e as WorkflowFailedError,
  )) as WorkflowFailedError | undefined;
  return { handle, workflowId, error, result: await dictionaryRolloutResult(handle) };
}

const byKey = (result: DictionaryRolloutResult) =>
  new Map(result.domains.map((d) => [d.target ?? d.domain, d]));

describe('fleet dictionary rollout', () => {
  it('3 Regions in 2 accounts: one package per place, each domain ACTIVE at its place’s version; a second run changes nothing', async () => {
    const fleet = await seedFleet('fl');
    const first = await run(fleetInput('synonyms-fleet', fleet.domains, 'car, automobile\n'));
    expect(first.error).toBeUndefined();
    expect(first.result.outcome).toBe('succeeded');
    expect(first.result.places?.map((p) => [p.place.key, p.packageChange, p.current])).toEqual([
      ['default', 'created', 2],
      ['eu-west-1', 'created', 2],
      ['ap-southeast-2/210987654321', 'created', 2],
    ]);
    // What AWS says, place by place: one package each, every domain ACTIVE at that package's version.
    for (const [clients, names] of [
      [stack.aws, fleet.home],
      [eu, fleet.euDomains],
      [apB, fleet.apDomains],
    ] as const) {
      const pkgs = await packagesAt(clients, 'synonyms-fleet');
      expect(pkgs).toHaveLength(1);
      expect(pkgs[0]!.domains).toEqual(
        Object.fromEntries(names.map((n) => [n, `ACTIVE ${pkgs[0]!.version}`])),
      );
      const place = first.result.places!.find((p) => p.packageId === pkgs[0]!.packageId);
      expect(place?.targetVersion).toBe(pkgs[0]!.version);
    }
    // Each package id is its own place's: three different ids.
    expect(new Set(first.result.places!.map((p) => p.packageId)).size).toBe(3);
    expect(byKey(first.result).get('ap-southeast-2/210987654321:fl-ap-1')).toMatchObject({
      domain: 'fl-ap-1',
      state: 'current',
      place: { region: 'ap-southeast-2', account: '210987654321' },
    });
    // The Web UI's current details: a row per place, with its package and version.
    const details = (await workflowMetadata(first.handle)).currentDetails ?? '';
    expect(details).toContain('| place | package | version | current | failed | problem |');
    const ap = first.result.places!.find((p) => p.place.key === 'ap-southeast-2/210987654321')!;
    expect(details).toContain(
      `| ap-southeast-2/210987654321 | ${ap.packageId} | ${ap.targetVersion} | 2/2 | 0 |`,
    );
    // The progress query (what `rollouts watch` reads): places, and waves named by target key.
    const progress = await rolloutProgress<DictionaryRolloutProgress>(first.handle);
    expect(progress.places?.map((p) => p.place.key)).toEqual([
      'default',
      'eu-west-1',
      'ap-southeast-2/210987654321',
    ]);
    expect(progress.waves.flat()).toContain('ap-southeast-2/210987654321:fl-ap-2');
    const sa = (await first.handle.describe()).typedSearchAttributes;
    expect(sa.get(RolloutRegions)?.sort()).toEqual(['ap-southeast-2', 'eu-west-1']);
    // `rollouts list --region ap-southeast-2` finds it (the query the client builds).
    const listed = await listUntil(stack.client, rolloutListQuery({ region: 'ap-southeast-2' }), (runs) =>
      runs.some((r) => r.workflowId === first.workflowId),
    );
    expect(listed.map((r) => r.workflowId)).toContain(first.workflowId);
    // Each association is scheduled with its place as the fairness key (a per-place share of the
    // task queue, and with a per-key limit a per-place AWS call budget: docs/rate-limits.md).
    const fairness = new Map<string, Set<string>>();
    for (const e of (await first.handle.fetchHistory()).events ?? []) {
      const a = e.activityTaskScheduledEventAttributes;
      if (a?.activityType?.name !== 'associatePackage') continue;
      const domain = (JSON.parse(Buffer.from(a.input!.payloads![0]!.data!).toString()) as { domain: string })
        .domain;
      const keys = fairness.get(domain) ?? new Set<string>();
      keys.add(a.priority?.fairnessKey ?? '');
      fairness.set(domain, keys);
    }
    expect(Object.fromEntries([...fairness].map(([d, keys]) => [d, [...keys]]))).toEqual({
      ...Object.fromEntries(fleet.home.map((d) => [d, ['default']])),
      ...Object.fromEntries(fleet.euDomains.map((d) => [d, ['eu-west-1']])),
      ...Object.fromEntries(fleet.apDomains.map((d) => [d, ['ap-southeast-2/210987654321']])),
    });
    await recordHistory(stack.client, first.workflowId, 'dictionary-rollout-fleet-3-regions-2-accounts');

    await stack.emulator.control.clearCalls();
    const second = await run(fleetInput('synonyms-fleet', fleet.domains, 'car, automobile\n'));
    expect(second.result.outcome).toBe('unchanged');
    expect(second.result.places?.every((p) => p.packageChange === 'unchanged')).toBe(true);
    expect(second.result.counts).toMatchObject({ current: 0, skipped: 6, failed: 0 });
    const mutating = (await stack.emulator.control.calls()).filter((c) => c.mutating && c.service !== 'sts');
    expect(mutating.map((c) => `${c.account}/${c.region} ${c.operation}`)).toEqual([]);
  });

  it("a target naming the worker's own Region without a role joins the plain names' place: one package there", async () => {
    // The test worker's own Region is us-east-1 (its clients' AWS_REGION), account the default.
    await stack.emulator.control.seedDomains([{ name: 'fo-us-1' }, { name: 'fo-us-2' }]);
    await stack.emulator.control.at(EU).seedDomains([{ name: 'fo-eu-1' }]);
    const domains = ['fo-us-1', { domain: 'fo-us-2', region: 'us-east-1' }, { domain: 'fo-eu-1', ...EU }];
    // The schema cannot tell the worker's own Region: us-east-1 is given a staging bucket like any
    // other place's (here the staging bucket itself, which is in it).
    const input = fleetInput('synonyms-fleet-own', domains, 'own, home\n');
    input.staging = { bucket: STAGING_BUCKET, buckets: { ...BUCKETS, 'us-east-1': STAGING_BUCKET } };
    const { result, workflowId, error } = await run(input);
    expect(error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(result.places?.map((p) => [p.place.key, p.packageChange, p.domains, p.current])).toEqual([
      ['default', 'created', 2, 2],
      ['eu-west-1', 'created', 1, 1],
    ]);
    // One package in the worker's own account and Region, with both of its domains on it.
    const home = await packagesAt(stack.aws, 'synonyms-fleet-own');
    expect(home).toHaveLength(1);
    expect(home[0]!.domains).toEqual({
      'fo-us-1': `ACTIVE ${home[0]!.version}`,
      'fo-us-2': `ACTIVE ${home[0]!.version}`,
    });
    // The target keeps the key and place it was given.
    expect(byKey(result).get('us-east-1:fo-us-2')).toMatchObject({
      domain: 'fo-us-2',
      state: 'current',
      place: { region: 'us-east-1' },
    });
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-fleet-own-region');
  });

  it('a Region canary failing under halt starts nothing in the other Regions', async () => {
    const fleet = await seedFleet('hc');
    // The canary (first domain of the first Region in the order) does not exist there: it fails.
    const domains = [{ domain: 'hc-eu-missing', ...EU }, ...fleet.domains];
    await stack.emulator.control.clearCalls();
    const { error, result } = await run(
      fleetInput('synonyms-halt', domains, 'a, b\n', {
        policy: { waves: { strategy: 'regions', canary: 1, order: ['eu-west-1'] }, failurePolicy: 'halt' },
      }),
    );
    expect((error?.cause as ApplicationFailure).type).toBe('RolloutFailed');
    const keys = byKey(result);
    expect(keys.get('eu-west-1:hc-eu-missing')).toMatchObject({ state: 'failed', wave: 0 });
    for (const d of result.domains.filter((o) => o.target !== 'eu-west-1:hc-eu-missing'))
      expect([d.target ?? d.domain, d.state]).toEqual([d.target ?? d.domain, 'not-started']);
    const associations = await stack.emulator.control.calls({ service: 'es', operation: 'AssociatePackage' });
    expect(associations.map((c) => c.region)).toEqual(['eu-west-1']);
  });

  it('a role that cannot be assumed fails only its domains, naming the role', async () => {
    const fleet = await seedFleet('ur');
    const domains = [...fleet.domains, { domain: 'ur-west-1', region: 'us-west-2', roleArn: MISSING_ROLE }];
    const { error, result } = await run(fleetInput('synonyms-unreachable', domains, 'x, y\n'));
    expect((error?.cause as ApplicationFailure).type).toBe('RolloutFailed');
    expect(result.outcome).toBe('partial');
    const lost = byKey(result).get('us-west-2/333333333333:ur-west-1')!;
    expect(lost.state).toBe('failed');
    expect(lost.error?.type).toBe('PlaceUnreachable');
    expect(lost.error?.message).toContain(MISSING_ROLE);
    expect(result.places?.find((p) => p.place.key === 'us-west-2/333333333333')?.error?.message).toContain(
      MISSING_ROLE,
    );
    expect(result.counts).toMatchObject({ current: 6, failed: 1 });
  });

  it('a place whose role may not read the staging bucket fails its own domains, saying what to grant', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cl-us-1' }]);
    await stack.emulator.control.at(AP_B).seedDomains([{ name: 'cl-ap-1' }]);
    const closed = 'staging-fleet-closed';
    await createBucketAt(stack.aws, closed);
    const input = {
      ...fleetInput('synonyms-closed', ['cl-us-1', { domain: 'cl-ap-1', ...AP_B }], 'closed, shut\n'),
      staging: { bucket: closed, buckets: BUCKETS },
    } as DictionaryRolloutInput;
    const { error, result } = await run(input);
    expect((error?.cause as ApplicationFailure).type).toBe('RolloutFailed');
    expect(result.outcome).toBe('partial');
    expect(byKey(result).get('cl-us-1')?.state).toBe('current');
    const denied = byKey(result).get('ap-southeast-2/210987654321:cl-ap-1')!;
    expect(denied.state).toBe('failed');
    expect(denied.error?.type).toBe('AwsRequestRejected');
    expect(denied.error?.message).toContain('CopyObject: AccessDenied');
    expect(denied.error?.message).toContain(
      `The staging bucket ${closed} must let ${ROLE_B} read the staged files: add a bucket policy statement allowing s3:GetObject on arn:aws:s3:::${closed}/package-rollouts/* to that role`,
    );
    expect(denied.error?.message).toContain(
      `the role needs s3:PutObject on its own bucket ${BUCKETS['ap-southeast-2']}`,
    );
    expect(await packagesAt(apB, 'synonyms-closed')).toEqual([]);
    // Granted, the same rollout reaches the place.
    await stack.aws.s3.send(
      new PutBucketPolicyCommand({ Bucket: closed, Policy: stagingReadPolicy(closed, [ROLE_B]) }),
    );
    const again = await run(input);
    expect(again.error).toBeUndefined();
    expect(byKey(again.result).get('ap-southeast-2/210987654321:cl-ap-1')?.state).toBe('current');
  });

  it('a throttled AssumeRole is retried: the place rolls out instead of failing', async () => {
    // A place the worker has not assumed yet (a role of its own), whose first AssumeRole calls are
    // all throttled: more than the SDK's own attempts, so the activity's retry has to carry it.
    const role = ROLE_C;
    await stack.emulator.control.registerRoles([{ arn: role }]);
    const place = { region: 'eu-central-1', roleArn: role };
    await stack.emulator.control.at(place).seedDomains([{ name: 'th-de-1' }]);
    const setup = createPlaceClients({ endpoint: stack.emulator.url, credentials: TEST_CREDENTIALS });
    try {
      await createBucketAt(await setup.clientsFor(place), 'staging-fleet-de');
    } finally {
      setup.destroy();
    }
    await stack.emulator.control.addFault({
      service: 'sts',
      operation: 'AssumeRole',
      throttleProbability: 1,
      remaining: 4,
    });
    const { error, result } = await run({
      ...fleetInput('synonyms-sts-throttled', [{ domain: 'th-de-1', ...place }], 'a, b\n'),
      staging: { bucket: STAGING_BUCKET, buckets: { 'eu-central-1': 'staging-fleet-de' } },
    } as DictionaryRolloutInput);
    expect(error).toBeUndefined();
    expect(result.outcome).toBe('succeeded');
    expect(byKey(result).get('eu-central-1/444444444444:th-de-1')?.state).toBe('current');
    const assumed = await stack.emulator.control.calls({ service: 'sts', operation: 'AssumeRole' });
    expect(assumed.filter((c) => c.fault === 'throttle').length).toBe(4);
  });

  it('checks the 25-packages quota per place: a full place fails its own domains, the others roll out', async () => {
    const fleet = await seedFleet('qt');
    // Account B's ap-southeast-2 is at AWS's quota; the other places have room.
    const have =
      (await apB.opensearch.send(new DescribePackagesCommand({ MaxResults: 100 }))).PackageDetailsList ?? [];
    for (let i = have.length; i < 25; i++)
      await apB.opensearch.send(
        new CreatePackageCommand({
          PackageName: `filler-${i}`,
          PackageType: 'TXT-DICTIONARY',
          PackageSource: { S3BucketName: BUCKETS['ap-southeast-2'], S3Key: 'filler.txt' },
        }),
      );
    const { result } = await run(fleetInput('synonyms-quota', fleet.domains, 'q, quota\n'));
    expect(result.outcome).toBe('partial');
    const full = result.places!.find((p) => p.place.key === 'ap-southeast-2/210987654321')!;
    expect(full).toMatchObject({ packageId: '', failed: 2, current: 0 });
    expect(full.error?.message).toMatch(/has 25 custom packages, AWS's quota per account and Region is 25/);
    expect(result.places!.filter((p) => p.current === 2).map((p) => p.place.key)).toEqual([
      'default',
      'eu-west-1',
    ]);
    expect(await packagesAt(apB, 'synonyms-quota')).toEqual([]);
    // Room again for the tests after this one (they share the emulator state).
    const fillers =
      (await apB.opensearch.send(new DescribePackagesCommand({ MaxResults: 100 }))).PackageDetailsList ?? [];
    for (const p of fillers.filter((f) => f.PackageName?.startsWith('filler-')))
      await apB.opensearch.send(new DeletePackageCommand({ PackageID: p.PackageID! }));
  });

  it('rollback is fleet-wide: a failure in the last Region puts every place back to its previous content', async () => {
    const fleet = await seedFleet('rb');
    const first = (await run(fleetInput('synonyms-rollback', fleet.domains, 'one, 1\n'))).result;
    expect(first.outcome).toBe('succeeded');
    const before = await Promise.all([stack.aws, eu, apB].map((c) => packagesAt(c, 'synonyms-rollback')));
    const domains = [...fleet.domains, { domain: 'rb-ap-missing', ...AP_B }];
    const { error, result, workflowId } = await run(
      fleetInput('synonyms-rollback', domains, 'two, 2\n', {
        policy: { waves: { strategy: 'regions', canary: 1 }, failurePolicy: 'rollback' },
      }),
    );
    expect((error?.cause as ApplicationFailure).type).toBe('RolloutFailed');
    expect(result.outcome).toBe('rolled-back');
    expect(result.counts).toMatchObject({ rolledBack: 7, failed: 0 });
    for (const [i, clients] of [stack.aws, eu, apB].entries()) {
      const [pkg] = await packagesAt(clients, 'synonyms-rollback');
      // Republished: a version past the failed run's, holding the first run's content.
      expect(pkg!.version).not.toBe(before[i]![0]!.version);
      const place = result.places!.find((p) => p.packageId === pkg!.packageId)!;
      expect(place.targetVersion).toBe(pkg!.version);
      expect(Object.values(pkg!.domains).every((row) => row === `ACTIVE ${pkg!.version}`)).toBe(true);
      expect(Object.keys(pkg!.domains)).toHaveLength(2);
    }
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-fleet-rollback');
    // Every place's package holds the first run's content again.
    for (const clients of [stack.aws, eu, apB]) {
      const described = await clients.opensearch.send(
        new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['synonyms-rollback'] }] }),
      );
      expect(described.PackageDetailsList?.[0]?.PackageDescription).toContain(first.contentSha256);
    }
  });
});

describe('fleet package removal', () => {
  it('removes the package from every place: listed targets, then all of each place', async () => {
    const fleet = await seedFleet('rm');
    expect((await run(fleetInput('stopwords-fleet', fleet.domains, 'the\n'))).result.outcome).toBe(
      'succeeded',
    );
    // Listed: one domain in eu-west-1 and one in account B's ap-southeast-2; the packages stay.
    const listed = await startPackageRemoval(
      stack.client,
      {
        packageName: 'stopwords-fleet',
        domains: [
          { domain: 'rm-eu-1', ...EU },
          { domain: 'rm-ap-1', ...AP_B },
        ],
        pollIntervalSeconds: 0.2,
      },
      { taskQueue: stack.taskQueue },
    );
    const partial = await packageRemovalResult(listed.handle);
    expect(partial.counts).toMatchObject({ dissociated: 2, failed: 0 });
    expect(partial.places?.map((p) => p.packageDeletion)).toEqual(['kept', 'kept']);
    expect((await packagesAt(eu, 'stopwords-fleet'))[0]!.domains).not.toHaveProperty('rm-eu-1');

    const all = await startPackageRemoval(
      stack.client,
      { packageName: 'stopwords-fleet', places: [EU, AP_B], pollIntervalSeconds: 0.2 },
      { taskQueue: stack.taskQueue },
    );
    const result = await packageRemovalResult(all.handle);
    expect(result.outcome).toBe('removed');
    expect(result.places?.map((p) => [p.place.key, p.packageDeletion])).toEqual([
      ['default', 'deleted'],
      ['eu-west-1', 'deleted'],
      ['ap-southeast-2/210987654321', 'deleted'],
    ]);
    for (const clients of [stack.aws, eu, apB])
      expect(await packagesAt(clients, 'stopwords-fleet')).toEqual([]);
    await recordHistory(stack.client, all.workflowId, 'package-removal-fleet-3-places');
  });

  it("places that name the worker's own Region are its own place: each domain dissociated once, the package deleted", async () => {
    // The test worker's own Region is us-east-1 (its clients' AWS_REGION), account the default.
    const HOME = { region: 'us-east-1' };
    const home = ['ro-us-1', 'ro-us-2'];
    await stack.emulator.control.seedDomains(home.map((name) => ({ name })));
    await stack.emulator.control.at(EU).seedDomains([{ name: 'ro-eu-1' }]);
    const rollout = fleetInput('stopwords-fleet-own', [...home, { domain: 'ro-eu-1', ...EU }], 'a\n');
    const remove = async (input: Parameters<typeof startPackageRemoval>[1]) => {
      const started = await startPackageRemoval(stack.client, input, { taskQueue: stack.taskQueue });
      return { ...started, result: await packageRemovalResult(started.handle) };
    };
    const dissociationsAtHome = async (packageId: string) =>
      (await stack.emulator.control.calls({ operation: 'DissociatePackage' }))
        .filter((c) => c.region === 'us-east-1' && c.resource?.packageId === packageId)
        .map((c) => c.resource?.domainName)
        .sort();

    // All of each place, the worker's own listed among them.
    expect((await run(rollout)).result.outcome).toBe('succeeded');
    let packageId = (await packagesAt(stack.aws, 'stopwords-fleet-own'))[0]!.packageId;
    const all = await remove({
      packageName: 'stopwords-fleet-own',
      places: [HOME, EU],
      pollIntervalSeconds: 0.2,
    });
    expect(all.result.outcome).toBe('removed');
    expect(all.result.places?.map((p) => [p.place.key, p.packageDeletion])).toEqual([
      ['default', 'deleted'],
      ['eu-west-1', 'deleted'],
    ]);
    expect(all.result.counts).toMatchObject({ dissociated: 3, failed: 0 });
    expect(await dissociationsAtHome(packageId)).toEqual(home);
    await recordHistory(stack.client, all.workflowId, 'package-removal-fleet-own-region');

    // Listed: a target naming the worker's own Region, then a plain name, both at one package (it
    // joins the plain names' place whichever comes first).
    expect((await run(rollout)).result.outcome).toBe('succeeded');
    packageId = (await packagesAt(stack.aws, 'stopwords-fleet-own'))[0]!.packageId;
    const listed = await remove({
      packageName: 'stopwords-fleet-own',
      domains: [{ domain: 'ro-us-2', ...HOME }, 'ro-us-1', { domain: 'ro-eu-1', ...EU }],
      pollIntervalSeconds: 0.2,
    });
    expect(listed.result.outcome).toBe('removed');
    expect(listed.result.packageDeletion).toBe('deleted');
    expect(listed.result.places?.map((p) => [p.place.key, p.packageDeletion])).toEqual([
      ['default', 'deleted'],
      ['eu-west-1', 'deleted'],
    ]);
    // The target keeps the key and place it was given.
    expect(listed.result.domains.find((d) => d.target === 'us-east-1:ro-us-2')).toMatchObject({
      domain: 'ro-us-2',
      state: 'dissociated',
      place: { key: 'us-east-1', region: 'us-east-1' },
    });
    expect(await dissociationsAtHome(packageId)).toEqual(home);
    for (const clients of [stack.aws, eu])
      expect(await packagesAt(clients, 'stopwords-fleet-own')).toEqual([]);
  });
});
