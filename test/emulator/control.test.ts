import {
  CreatePackageCommand as IotCreatePackageCommand,
  CreatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  AttachDataSourceCommand,
  CreateApplicationCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
  ListDomainNamesCommand,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { EmulatorClock } from '../../src/emulator/clock.js';
import { DEFAULT_DURATIONS } from '../../src/emulator/types.js';
import { failure, SLOW, useEmulator } from './harness.js';

const h = useEmulator();

describe('EmulatorClock', () => {
  it('advances, scales without jumping, resets and restores relative to real time', () => {
    let real = 1_000_000;
    const clock = new EmulatorClock(() => real);
    expect(clock.now()).toBe(1_000_000);
    clock.change({ advanceMs: 500 });
    expect(clock.now()).toBe(1_000_500);
    real += 100;
    expect(clock.now()).toBe(1_000_600);
    clock.change({ scale: 60 });
    expect(clock.now()).toBe(1_000_600);
    real += 10;
    expect(clock.now()).toBe(1_001_200);
    const saved = clock.save();
    expect(saved).toEqual({ aheadMs: 1_090, scale: 60 });
    clock.reset();
    expect(clock.now()).toBe(real);
    expect(clock.scale).toBe(1);
    real += 5_000;
    clock.restore(saved);
    expect(clock.now()).toBe(real + 1_090);
    expect(clock.scale).toBe(60);
  });
});

describe('control API', () => {
  it('setClock advances the emulator clock and sets its scale; getClock reads it', async () => {
    const before = Date.parse((await h.control.getClock()).now);
    const after = await h.control.setClock({ advanceMs: 3_600_000 });
    expect(Date.parse(after.now) - before).toBeGreaterThanOrEqual(3_600_000);
    expect(after.scale).toBe(1);
    expect((await h.control.setClock({ scale: 120 })).scale).toBe(120);
    expect((await h.control.getClock()).scale).toBe(120);
    await expect(h.control.setClock({ advanceMs: -1 })).rejects.toThrow(/400/);
    await expect(h.control.setClock({ scale: 0 })).rejects.toThrow(/400/);
  });

  it('a scaled clock moves every state machine without advancing it by hand', async () => {
    await h.putObject('staging', 'synonyms.txt', 'a, b\n');
    const out = await h.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'scaled',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
      }),
    );
    await h.control.setClock({ scale: 1_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const described = await h.opensearch.send(
      new DescribePackagesCommand({
        Filters: [{ Name: 'PackageID', Value: [out.PackageDetails!.PackageID!] }],
      }),
    );
    expect(described.PackageDetailsList![0]!.PackageStatus).toBe('AVAILABLE');
  });

  it('records every call with its operation, clocks, status, error and resource; counts them; clears them', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    await h.putObject('staging', 'synonyms.txt', 'a, b\n');
    await h.opensearch.send(new ListDomainNamesCommand({}));
    await h.control.setClock({ advanceMs: 86_400_000 });
    await failure(
      h.opensearch.send(new AssociatePackageCommand({ PackageID: 'F1', DomainName: 'search-a' })),
    );

    const calls = await h.control.calls();
    expect(calls.map((c) => `${c.service}:${c.operation}`)).toEqual([
      's3:CreateBucket',
      's3:PutObject',
      'es:ListDomainNames',
      'es:AssociatePackage',
    ]);
    expect(calls.map((c) => c.seq)).toEqual([...calls.map((c) => c.seq)].sort((a, b) => a - b));
    const [createBucket, putObject, list, associate] = calls;
    expect(createBucket).toMatchObject({ mutating: true, httpStatus: 200, resource: { bucket: 'staging' } });
    expect(putObject).toMatchObject({ resource: { bucket: 'staging', key: 'synonyms.txt' } });
    expect(list).toMatchObject({ mutating: false, httpStatus: 200 });
    expect(list!.errorCode).toBeUndefined();
    expect(associate).toMatchObject({
      mutating: true,
      httpStatus: 409,
      errorCode: 'ResourceNotFoundException',
      resource: { packageId: 'F1', domainName: 'search-a' },
    });
    // The emulator clock ran a day ahead for the last call; the wall clock did not.
    expect(Date.parse(associate!.at) - Date.parse(list!.at)).toBeGreaterThanOrEqual(86_400_000);
    expect(Date.parse(associate!.realAt) - Date.parse(list!.realAt)).toBeLessThan(86_400_000);
    expect(associate!.durationMs).toBeGreaterThanOrEqual(0);

    expect((await h.control.calls({ service: 's3' })).map((c) => c.operation)).toEqual([
      'CreateBucket',
      'PutObject',
    ]);
    expect((await h.control.calls({ operation: 'ListDomainNames' })).length).toBe(1);
    expect(await h.control.callCounts()).toEqual({
      's3:CreateBucket': 1,
      's3:PutObject': 1,
      'es:ListDomainNames': 1,
      'es:AssociatePackage': 1,
    });
    await h.control.clearCalls();
    expect(await h.control.calls()).toEqual([]);
    expect(await h.control.callCounts()).toEqual({});
  });

  it('setDurations merges; reset forgets resources, faults, calls, clock and durations', async () => {
    expect(await h.control.setDurations({ associationMs: 7 })).toEqual({ ...SLOW, associationMs: 7 });
    expect(await h.control.getDurations()).toEqual({ ...SLOW, associationMs: 7 });
    await h.control.seedDomains([{ name: 'search-a' }]);
    await h.control.addFault({ service: 's3', latencyMs: 1 });
    await h.control.setClock({ advanceMs: 10 * 86_400_000, scale: 3 });
    await h.opensearch.send(new ListDomainNamesCommand({}));

    await h.control.reset();
    expect(await h.control.getDurations()).toEqual(DEFAULT_DURATIONS);
    expect(await h.control.faults()).toEqual([]);
    expect(await h.control.calls()).toEqual([]);
    const clock = await h.control.getClock();
    expect(clock.scale).toBe(1);
    expect(Math.abs(Date.parse(clock.now) - Date.now())).toBeLessThan(60_000);
    expect((await h.opensearch.send(new ListDomainNamesCommand({}))).DomainNames).toEqual([]);
  });

  it('state() snapshots every resource for invariant checks', async () => {
    await h.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0 });
    await h.control.seedDomains([{ name: 'search-a' }]);
    await h.control.configureDomain('search-a', { indexesUsingPackages: ['F1'], associationMs: 900_000 });
    await h.putObject('staging', 'synonyms.txt', 'a, b\n');
    const pkg = await h.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
      }),
    );
    const id = pkg.PackageDetails!.PackageID!;
    await h.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search-a' }));
    const app = await h.opensearch.send(new CreateApplicationCommand({ name: 'dashboards' }));
    await h.opensearch.send(
      new AttachDataSourceCommand({
        id: app.id,
        dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/search-a',
      }),
    );
    await h.control.setDataSourceStatus('arn:aws:es:eu-west-1:1:domain/x', 'CREATING');
    await h.iot.send(new IotCreatePackageCommand({ packageName: 'firmware' }));
    await h.iot.send(
      new CreatePackageVersionCommand({
        packageName: 'firmware',
        versionName: '1.0',
        attributes: { a: 'b' },
      }),
    );

    const state = await h.control.state();
    expect(state.durations.packageCopyingMs).toBe(0);
    expect(state.opensearch.domains).toHaveLength(1);
    expect(state.opensearch.domains[0]).toMatchObject({
      name: 'search-a',
      processing: false,
      configuration: { indexesUsingPackages: ['F1'], associationMs: 900_000 },
      associations: [
        {
          packageId: id,
          packageName: 'synonyms',
          status: 'ASSOCIATING',
          packageVersion: 'v1',
          referencePath: `analyzers/${id}`,
        },
      ],
    });
    expect(state.opensearch.packages[0]).toMatchObject({
      id,
      name: 'synonyms',
      status: 'AVAILABLE',
      availableVersion: 'v1',
      domains: ['search-a'],
      versions: [
        { version: 'v1', state: 'available', source: { bucket: 'staging', key: 'synonyms.txt' }, size: 5 },
      ],
    });
    expect(state.opensearch.packages[0]!.versions[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(state.opensearch.applications).toEqual([
      expect.objectContaining({ id: app.id, name: 'dashboards', status: 'CREATING' }),
    ]);
    expect(state.opensearch.attachments).toEqual([
      expect.objectContaining({ applicationId: app.id, status: 'PENDING' }),
    ]);
    expect(state.opensearch.dataSourceStatuses).toEqual({ 'arn:aws:es:eu-west-1:1:domain/x': 'CREATING' });
    expect(state.iot.packages).toEqual([
      expect.objectContaining({
        name: 'firmware',
        versions: [expect.objectContaining({ versionName: '1.0', status: 'DRAFT', attributes: { a: 'b' } })],
      }),
    ]);
    expect(state.s3.buckets).toEqual([
      expect.objectContaining({
        name: 'staging',
        objects: [expect.objectContaining({ key: 'synonyms.txt', size: 5 })],
      }),
    ]);
  });

  it('answers 404 for unknown domains, applications and routes, and 400 for bad bodies', async () => {
    await expect(h.control.configureDomain('absent', { failAssociation: true })).rejects.toThrow(/404/);
    await expect(h.control.setApplicationStatus('absent', 'ACTIVE')).rejects.toThrow(/404/);
    const unknownRoute = await fetch(`${h.emulator.url}/_emulator/nothing`);
    expect(unknownRoute.status).toBe(404);
    const badBody = await fetch(`${h.emulator.url}/_emulator/durations`, {
      method: 'PUT',
      body: '{"nope":1}',
    });
    expect(badBody.status).toBe(400);
    expect(await h.control.health()).toEqual({ ok: true, region: 'us-east-1', accountId: '123456789012' });
  });
});
