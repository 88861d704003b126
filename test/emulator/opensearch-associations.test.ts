import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DeleteDomainCommand,
  DeletePackageCommand,
  DissociatePackageCommand,
  ListDomainsForPackageCommand,
  ListPackagesForDomainCommand,
  UpdatePackageCommand,
  type DomainPackageDetails,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

const h = useEmulator();
const BUCKET = 'dictionaries';

/** A package that is AVAILABLE at v1 (the clock is advanced past copy and validation). */
async function availablePackage(name: string): Promise<string> {
  await h.putObject(BUCKET, `${name}.txt`, `${name}, synonym\n`);
  const out = await h.opensearch.send(
    new CreatePackageCommand({
      PackageName: name,
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: BUCKET, S3Key: `${name}.txt` },
    }),
  );
  await h.advance(120_000);
  return out.PackageDetails!.PackageID!;
}

async function publishV2(packageId: string, name: string): Promise<void> {
  await h.putObject(BUCKET, `${name}-v2.txt`, `${name}, synonym, another\n`);
  await h.opensearch.send(
    new UpdatePackageCommand({
      PackageID: packageId,
      PackageSource: { S3BucketName: BUCKET, S3Key: `${name}-v2.txt` },
    }),
  );
  await h.advance(120_000);
}

const associate = (packageId: string, domain: string) =>
  h.opensearch.send(new AssociatePackageCommand({ PackageID: packageId, DomainName: domain }));
const dissociate = (packageId: string, domain: string) =>
  h.opensearch.send(new DissociatePackageCommand({ PackageID: packageId, DomainName: domain }));

async function rowsOf(domain: string): Promise<DomainPackageDetails[]> {
  return (await h.opensearch.send(new ListPackagesForDomainCommand({ DomainName: domain })))
    .DomainPackageDetailsList!;
}

async function rowOf(packageId: string, domain: string): Promise<DomainPackageDetails | undefined> {
  return (await rowsOf(domain)).find((r) => r.PackageID === packageId);
}

describe('AssociatePackage', () => {
  it('goes ASSOCIATING -> ACTIVE with the version and reference path, listed both ways', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    const out = await associate(id, 'search-a');
    expect(out.DomainPackageDetails).toMatchObject({
      PackageID: id,
      PackageName: 'synonyms',
      PackageType: 'TXT-DICTIONARY',
      DomainName: 'search-a',
      DomainPackageStatus: 'ASSOCIATING',
      PackageVersion: 'v1',
      ReferencePath: `analyzers/${id}`,
    });
    expect(out.DomainPackageDetails!.LastUpdated).toBeInstanceOf(Date);
    await h.advance(115_000);
    expect((await rowOf(id, 'search-a'))?.DomainPackageStatus).toBe('ASSOCIATING');
    await h.advance(5_000);
    expect(await rowOf(id, 'search-a')).toMatchObject({
      DomainPackageStatus: 'ACTIVE',
      PackageVersion: 'v1',
    });
    const byPackage = await h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: id }));
    expect(byPackage.DomainPackageDetailsList!.map((r) => [r.DomainName, r.DomainPackageStatus])).toEqual([
      ['search-a', 'ACTIVE'],
    ]);
  });

  it('answers "Package is already in desired state" when the domain is ACTIVE at the current version', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    const err = await failure(associate(id, 'search-a'));
    expect(err).toMatchObject({
      name: 'ConflictException',
      message: 'Package is already in desired state',
      status: 409,
    });
  });

  it('moves a domain on an older version to the current one; other domains stay where they are', async () => {
    await h.control.seedDomains([{ name: 'search-a' }, { name: 'search-b' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await associate(id, 'search-b');
    await h.advance(120_000);
    await publishV2(id, 'synonyms');
    const out = await associate(id, 'search-a');
    expect(out.DomainPackageDetails).toMatchObject({
      DomainPackageStatus: 'ASSOCIATING',
      PackageVersion: 'v2',
    });
    await h.advance(120_000);
    expect(await rowOf(id, 'search-a')).toMatchObject({
      DomainPackageStatus: 'ACTIVE',
      PackageVersion: 'v2',
    });
    expect(await rowOf(id, 'search-b')).toMatchObject({
      DomainPackageStatus: 'ACTIVE',
      PackageVersion: 'v1',
    });
  });

  it('refuses a second association while one is in progress', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    const err = await failure(associate(id, 'search-a'));
    expect(err).toMatchObject({ name: 'ConflictException', message: /ASSOCIATING/ });
  });

  it('answers ResourceNotFoundException for an unknown package or domain', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    expect(await failure(associate('F404', 'search-a'))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: /F404/,
    });
    expect(await failure(associate(id, 'no-such-domain'))).toMatchObject({
      name: 'ResourceNotFoundException',
      message: /no-such-domain/,
    });
  });

  it('answers ValidationException for a package that is not AVAILABLE (the COPYING race)', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    await h.putObject(BUCKET, 'racing.txt', 'fast, quick\n');
    const out = await h.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'racing',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: BUCKET, S3Key: 'racing.txt' },
      }),
    );
    const err = await failure(associate(out.PackageDetails!.PackageID!, 'search-a'));
    expect(err).toMatchObject({ name: 'ValidationException', message: /COPYING/ });
  });

  it('ends ASSOCIATION_FAILED with ErrorDetails on a domain told to fail, and succeeds on retry once cleared', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await h.control.configureDomain('search-a', { failAssociation: 'disk full' });
    await associate(id, 'search-a');
    expect((await rowOf(id, 'search-a'))?.DomainPackageStatus).toBe('ASSOCIATING');
    await h.advance(120_000);
    const failed = await rowOf(id, 'search-a');
    expect(failed).toMatchObject({ DomainPackageStatus: 'ASSOCIATION_FAILED', PackageVersion: 'v1' });
    expect(failed!.ErrorDetails?.ErrorMessage).toBe('disk full');
    expect(failed!.ErrorDetails?.ErrorType).toBeTruthy();

    await h.control.configureDomain('search-a', { failAssociation: false });
    await associate(id, 'search-a');
    await h.advance(120_000);
    const active = await rowOf(id, 'search-a');
    expect(active?.DomainPackageStatus).toBe('ACTIVE');
    expect(active?.ErrorDetails).toBeUndefined();
  });

  it('uses a per-domain association time', async () => {
    await h.control.seedDomains([{ name: 'fast-domain' }, { name: 'slow-domain' }]);
    await h.control.configureDomain('fast-domain', { associationMs: 1_000 });
    const id = await availablePackage('synonyms');
    await associate(id, 'fast-domain');
    await associate(id, 'slow-domain');
    await h.advance(1_000);
    expect((await rowOf(id, 'fast-domain'))?.DomainPackageStatus).toBe('ACTIVE');
    expect((await rowOf(id, 'slow-domain'))?.DomainPackageStatus).toBe('ASSOCIATING');
  });

  it('answers LimitExceededException past 20 packages on one domain', async () => {
    await h.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 0 });
    await h.control.seedDomains([{ name: 'crowded' }]);
    await h.putObject(BUCKET, 'shared.txt', 'a, b\n');
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) {
      const out = await h.opensearch.send(
        new CreatePackageCommand({
          PackageName: `pkg-${i}`,
          PackageType: 'TXT-DICTIONARY',
          PackageSource: { S3BucketName: BUCKET, S3Key: 'shared.txt' },
        }),
      );
      ids.push(out.PackageDetails!.PackageID!);
    }
    for (const id of ids.slice(0, 20)) await associate(id, 'crowded');
    const err = await failure(associate(ids[20]!, 'crowded'));
    expect(err).toMatchObject({ name: 'LimitExceededException', status: 409, message: /20/ });
  });
});

describe('DissociatePackage', () => {
  it('goes DISSOCIATING, then the row is gone', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    const out = await dissociate(id, 'search-a');
    expect(out.DomainPackageDetails).toMatchObject({ DomainPackageStatus: 'DISSOCIATING', PackageID: id });
    expect((await rowOf(id, 'search-a'))?.DomainPackageStatus).toBe('DISSOCIATING');
    await h.advance(60_000);
    expect(await rowsOf('search-a')).toEqual([]);
    const byPackage = await h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: id }));
    expect(byPackage.DomainPackageDetailsList).toEqual([]);
  });

  it('answers ConflictException while an index uses the package', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    await h.control.configureDomain('search-a', { indexesUsingPackages: [id] });
    const err = await failure(dissociate(id, 'search-a'));
    expect(err).toMatchObject({
      name: 'ConflictException',
      status: 409,
      message: /in use by one or more indexes/,
    });
    expect((await rowOf(id, 'search-a'))?.DomainPackageStatus).toBe('ACTIVE');
  });

  it('answers ResourceNotFoundException when the package is not associated', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    const err = await failure(dissociate(id, 'search-a'));
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', message: /not associated/ });
  });

  it('answers ConflictException while the association is still in progress', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    expect(await failure(dissociate(id, 'search-a'))).toMatchObject({ name: 'ConflictException' });
  });

  it('ends DISSOCIATION_FAILED with ErrorDetails on a domain told to fail', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    await h.control.configureDomain('search-a', { failDissociation: true, dissociationMs: 5_000 });
    await dissociate(id, 'search-a');
    await h.advance(5_000);
    const row = await rowOf(id, 'search-a');
    expect(row?.DomainPackageStatus).toBe('DISSOCIATION_FAILED');
    expect(row?.ErrorDetails?.ErrorMessage).toBeTruthy();
  });
});

describe('DeletePackage with associations', () => {
  it('answers ConflictException while associated, and succeeds once dissociated', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    const err = await failure(h.opensearch.send(new DeletePackageCommand({ PackageID: id })));
    expect(err).toMatchObject({ name: 'ConflictException', message: /search-a/ });
    await dissociate(id, 'search-a');
    await h.advance(60_000);
    const out = await h.opensearch.send(new DeletePackageCommand({ PackageID: id }));
    expect(out.PackageDetails?.PackageID).toBe(id);
  });

  it('is possible once the only associated domain is deleted', async () => {
    await h.control.seedDomains([{ name: 'search-a' }]);
    const id = await availablePackage('synonyms');
    await associate(id, 'search-a');
    await h.advance(120_000);
    await h.opensearch.send(new DeleteDomainCommand({ DomainName: 'search-a' }));
    const byPackage = await h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: id }));
    expect(byPackage.DomainPackageDetailsList).toEqual([]);
    await h.opensearch.send(new DeletePackageCommand({ PackageID: id }));
  });
});

describe('ListDomainsForPackage and ListPackagesForDomain', () => {
  it('page with MaxResults and NextToken', async () => {
    const domains = ['dom-a', 'dom-b', 'dom-c', 'dom-d', 'dom-e'];
    await h.control.seedDomains(domains.map((name) => ({ name })));
    const id = await availablePackage('synonyms');
    const other = await availablePackage('stopwords');
    for (const d of domains) await associate(id, d);
    await associate(other, 'dom-a');
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const out = await h.opensearch.send(
        new ListDomainsForPackageCommand({ PackageID: id, MaxResults: 2, NextToken: token }),
      );
      expect(out.DomainPackageDetailsList!.length).toBeLessThanOrEqual(2);
      seen.push(...out.DomainPackageDetailsList!.map((r) => r.DomainName!));
      token = out.NextToken;
    } while (token);
    expect(seen).toEqual(domains);

    const first = await h.opensearch.send(
      new ListPackagesForDomainCommand({ DomainName: 'dom-a', MaxResults: 1 }),
    );
    expect(first.DomainPackageDetailsList).toHaveLength(1);
    expect(first.NextToken).toBeTruthy();
    const second = await h.opensearch.send(
      new ListPackagesForDomainCommand({ DomainName: 'dom-a', MaxResults: 1, NextToken: first.NextToken }),
    );
    expect(second.NextToken).toBeUndefined();
    expect(
      [first, second].flatMap((p) => p.DomainPackageDetailsList!.map((r) => r.PackageID)).sort(),
    ).toEqual([id, other].sort());

    expect(
      await failure(h.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'nowhere' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
    expect(
      await failure(h.opensearch.send(new ListDomainsForPackageCommand({ PackageID: id, MaxResults: 101 }))),
    ).toMatchObject({ name: 'ValidationException' });
  });

  it('holds 1,000 domains associated with one package, paged 100 at a time', async () => {
    await h.control.setDurations({ associationMs: 0 });
    const domains = Array.from({ length: 1000 }, (_, i) => `fleet-${String(i).padStart(4, '0')}`);
    expect(await h.control.seedDomains(domains.map((name) => ({ name })))).toHaveLength(1000);
    const id = await availablePackage('fleet-synonyms');
    for (let i = 0; i < domains.length; i += 50) {
      await Promise.all(domains.slice(i, i + 50).map((d) => associate(id, d)));
    }
    let pages = 0;
    let active = 0;
    let token: string | undefined;
    do {
      const out = await h.opensearch.send(
        new ListDomainsForPackageCommand({ PackageID: id, MaxResults: 100, NextToken: token }),
      );
      active += out.DomainPackageDetailsList!.filter(
        (r) => r.DomainPackageStatus === 'ACTIVE' && r.PackageVersion === 'v1',
      ).length;
      token = out.NextToken;
      pages++;
    } while (token);
    expect(pages).toBe(10);
    expect(active).toBe(1000);
  });
});
