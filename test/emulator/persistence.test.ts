import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreatePackageCommand as IotCreatePackageCommand, GetPackageCommand } from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
  ListPackagesForDomainCommand,
} from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/server.js';
import { clientsFor, destroyClients, SLOW } from './harness.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'emulator-state-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('persistence', () => {
  it('a restarted emulator with the same state file keeps its resources, and state machines carry on', async () => {
    const stateFile = join(dir, 'state.json');
    const first = await startEmulator({ stateFile, durations: SLOW });
    let aws = clientsFor(first.url);
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: 'synonyms.txt', Body: 'car, auto\n' }));
    await first.control.seedDomains([{ name: 'search-a' }]);
    await first.control.configureDomain('search-a', { indexesUsingPackages: ['F42'] });
    const created = await aws.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'synonyms',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
      }),
    );
    const id = created.PackageDetails!.PackageID!;
    await first.control.setClock({ advanceMs: 120_000 });
    await aws.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search-a' }));
    await aws.iot.send(new IotCreatePackageCommand({ packageName: 'firmware', description: 'kept' }));
    const before = await first.control.state();
    destroyClients(aws);
    await first.stop();

    const second = await startEmulator({ stateFile, durations: SLOW });
    aws = clientsFor(second.url);
    try {
      const after = await second.control.state();
      expect(after.opensearch).toEqual(before.opensearch);
      expect(after.iot).toEqual(before.iot);
      expect(after.s3).toEqual(before.s3);
      // The clock continues from where it stood, ahead of real time.
      expect(Date.parse(after.clock.now)).toBeGreaterThanOrEqual(Date.parse(before.clock.now));

      const got = await aws.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: 'synonyms.txt' }));
      expect(await got.Body!.transformToString()).toBe('car, auto\n');
      const described = await aws.opensearch.send(
        new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['synonyms'] }] }),
      );
      expect(described.PackageDetailsList![0]).toMatchObject({
        PackageID: id,
        AvailablePackageVersion: 'v1',
      });
      expect((await aws.iot.send(new GetPackageCommand({ packageName: 'firmware' }))).description).toBe(
        'kept',
      );

      const rows = async () =>
        (await aws.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'search-a' })))
          .DomainPackageDetailsList!;
      expect((await rows())[0]!.DomainPackageStatus).toBe('ASSOCIATING');
      // The version's bytes were kept with the state: a backed domain gets them, not what the
      // staging object holds now. (Nothing listens on port 9: the refresh is only logged.)
      const configDir = join(dir, 'node-config');
      await second.control.backDomain('search-a', { endpoint: 'http://127.0.0.1:9', configDir });
      await aws.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: 'synonyms.txt', Body: 'changed\n' }));
      await second.control.setClock({ advanceMs: 120_000 });
      expect((await rows())[0]!.DomainPackageStatus).toBe('ACTIVE');
      expect(readFileSync(join(configDir, 'analyzers', id), 'utf8')).toBe('car, auto\n');
    } finally {
      destroyClients(aws);
      await second.stop();
    }
    const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as { format: number };
    expect(saved.format).toBe(1);
  });

  it('refuses a state file of an unknown format instead of overwriting it', async () => {
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify({ format: 99 }));
    await expect(startEmulator({ stateFile })).rejects.toThrow(/format 99/);
    expect(readFileSync(stateFile, 'utf8')).toBe('{"format":99}');
  });

  it('save() writes the file at once', async () => {
    const stateFile = join(dir, 'state.json');
    const emulator = await startEmulator({ stateFile });
    try {
      await emulator.control.seedDomains([{ name: 'saved-now' }]);
      await emulator.control.save();
      const saved = JSON.parse(readFileSync(stateFile, 'utf8')) as {
        opensearch: { domains: { name: string }[] };
      };
      expect(saved.opensearch.domains.map((d) => d.name)).toEqual(['saved-now']);
    } finally {
      await emulator.stop();
    }
  });
});
