import {
  CreatePackageCommand,
  DeletePackageCommand,
  DescribePackagesCommand,
  GetPackageVersionHistoryCommand,
  UpdatePackageCommand,
  type PackageDetails,
} from '@aws-sdk/client-opensearch';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

const h = useEmulator();
const BUCKET = 'dictionaries';

async function createPackage(
  name: string,
  key = 'synonyms.txt',
  body: string | Buffer = 'car, automobile\n',
) {
  await h.putObject(BUCKET, key, body);
  const out = await h.opensearch.send(
    new CreatePackageCommand({
      PackageName: name,
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: BUCKET, S3Key: key },
      PackageDescription: 'synonyms',
    }),
  );
  return out.PackageDetails!;
}

async function describe1(id: string): Promise<PackageDetails> {
  const out = await h.opensearch.send(
    new DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [id] }] }),
  );
  expect(out.PackageDetailsList).toHaveLength(1);
  return out.PackageDetailsList![0]!;
}

async function history(id: string) {
  const out = await h.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: id }));
  return out.PackageVersionHistoryList!.map((v) => [v.PackageVersion, v.CommitMessage]);
}

describe('CreatePackage', () => {
  it('goes COPYING -> VALIDATING -> AVAILABLE as v1, with an F-prefixed id', async () => {
    const created = await createPackage('synonyms-en');
    expect(created.PackageID).toMatch(/^F\d+$/);
    expect(created).toMatchObject({
      PackageName: 'synonyms-en',
      PackageType: 'TXT-DICTIONARY',
      PackageStatus: 'COPYING',
      PackageDescription: 'synonyms',
    });
    expect(created.AvailablePackageVersion).toBeUndefined();
    expect(created.CreatedAt).toBeInstanceOf(Date);

    await h.advance(60_000);
    expect((await describe1(created.PackageID!)).PackageStatus).toBe('VALIDATING');
    await h.advance(60_000);
    const available = await describe1(created.PackageID!);
    expect(available).toMatchObject({ PackageStatus: 'AVAILABLE', AvailablePackageVersion: 'v1' });
    expect(available.ErrorDetails).toBeUndefined();
    expect(available.LastUpdatedAt!.getTime()).toBeGreaterThan(created.CreatedAt!.getTime());
    expect(await history(created.PackageID!)).toEqual([['v1', undefined]]);
  });

  it('ends COPY_FAILED with ErrorDetails when the S3 object does not exist', async () => {
    await h.putObject(BUCKET, 'other.txt', 'x\n');
    const out = await h.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'missing-source',
        PackageType: 'TXT-DICTIONARY',
        PackageSource: { S3BucketName: BUCKET, S3Key: 'absent.txt' },
      }),
    );
    expect(out.PackageDetails!.PackageStatus).toBe('COPYING');
    await h.advance(60_000);
    const failed = await describe1(out.PackageDetails!.PackageID!);
    expect(failed.PackageStatus).toBe('COPY_FAILED');
    expect(failed.ErrorDetails?.ErrorType).toBeTruthy();
    expect(failed.ErrorDetails?.ErrorMessage).toContain('absent.txt');
    expect(failed.AvailablePackageVersion).toBeUndefined();
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['not UTF-8', Buffer.from([0x63, 0x61, 0x72, 0xff, 0xfe, 0x0a])],
    ['binary with NUL bytes', Buffer.from('car\u0000auto\n')],
  ])('ends VALIDATION_FAILED with ErrorDetails for a %s dictionary', async (_label, body) => {
    const created = await createPackage('bad-dictionary', 'bad.txt', body);
    await h.advance(60_000);
    expect((await describe1(created.PackageID!)).PackageStatus).toBe('VALIDATING');
    await h.advance(60_000);
    const failed = await describe1(created.PackageID!);
    expect(failed.PackageStatus).toBe('VALIDATION_FAILED');
    expect(failed.ErrorDetails?.ErrorType).toBeTruthy();
    expect(failed.ErrorDetails?.ErrorMessage).toMatch(/empty|UTF-8|NUL/);
  });

  it('answers ResourceAlreadyExistsException for a duplicate name', async () => {
    await createPackage('dup-name');
    const err = await failure(createPackage('dup-name'));
    expect(err).toMatchObject({ name: 'ResourceAlreadyExistsException', status: 409 });
  });

  it.each([
    ['an upper-case name', { PackageName: 'Synonyms' }, /regular expression pattern/],
    ['a two-character name', { PackageName: 'ab' }, /length greater than or equal to 3/],
    ['a 257-character name', { PackageName: `a${'b'.repeat(256)}` }, /length less than or equal to 256/],
    ['an unknown type', { PackageType: 'TXT-THESAURUS' }, /enum value set/],
    ['a 1,025-character description', { PackageDescription: 'd'.repeat(1025) }, /1024/],
    ['a ZIP-PLUGIN without EngineVersion', { PackageType: 'ZIP-PLUGIN' }, /EngineVersion/],
    ['a bucket name of 2 characters', { PackageSource: { S3BucketName: 'ab', S3Key: 'k' } }, /s3BucketName/],
    ['no source', { PackageSource: undefined }, /packageSource/],
  ])('answers ValidationException for %s', async (_label, override, message) => {
    await h.putObject(BUCKET, 'synonyms.txt', 'a, b\n');
    const err = await failure(
      h.opensearch.send(
        new CreatePackageCommand({
          PackageName: 'valid-name',
          PackageType: 'TXT-DICTIONARY',
          PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
          ...(override as object),
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(message);
  });

  it('answers LimitExceededException past 25 packages in the region', async () => {
    await h.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0 });
    for (let i = 0; i < 25; i++) await createPackage(`pkg-${i}`);
    const err = await failure(createPackage('pkg-25'));
    expect(err).toMatchObject({ name: 'LimitExceededException', status: 409 });
    expect(err.message).toContain('25');
  });
});

describe('UpdatePackage', () => {
  it('goes back to COPYING, keeps serving v1 meanwhile, then makes v2 with history and commit message', async () => {
    const created = await createPackage('synonyms-up');
    await h.advance(120_000);
    await h.putObject(BUCKET, 'synonyms-v2.txt', 'car, automobile, auto\n');
    const updated = await h.opensearch.send(
      new UpdatePackageCommand({
        PackageID: created.PackageID,
        PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms-v2.txt' },
        CommitMessage: 'sha256:abc',
        PackageDescription: 'synonyms, second edition',
      }),
    );
    expect(updated.PackageDetails).toMatchObject({
      PackageStatus: 'COPYING',
      AvailablePackageVersion: 'v1',
      PackageDescription: 'synonyms, second edition',
    });
    await h.advance(60_000);
    expect(await describe1(created.PackageID!)).toMatchObject({
      PackageStatus: 'VALIDATING',
      AvailablePackageVersion: 'v1',
    });
    await h.advance(60_000);
    expect(await describe1(created.PackageID!)).toMatchObject({
      PackageStatus: 'AVAILABLE',
      AvailablePackageVersion: 'v2',
    });
    expect(await history(created.PackageID!)).toEqual([
      ['v2', 'sha256:abc'],
      ['v1', undefined],
    ]);
  });

  it('refuses an update while the previous one is still copying or validating', async () => {
    const created = await createPackage('busy');
    const update = () =>
      h.opensearch.send(
        new UpdatePackageCommand({
          PackageID: created.PackageID,
          PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
        }),
      );
    expect(await failure(update())).toMatchObject({ name: 'ValidationException', message: /COPYING/ });
    await h.advance(60_000);
    expect(await failure(update())).toMatchObject({ name: 'ValidationException', message: /VALIDATING/ });
  });

  it('lets a failed update leave v1 available, and the next good update becomes v2', async () => {
    const created = await createPackage('retry-after-failure');
    await h.advance(120_000);
    await h.putObject(BUCKET, 'empty.txt', '');
    await h.opensearch.send(
      new UpdatePackageCommand({
        PackageID: created.PackageID,
        PackageSource: { S3BucketName: BUCKET, S3Key: 'empty.txt' },
      }),
    );
    await h.advance(120_000);
    expect(await describe1(created.PackageID!)).toMatchObject({
      PackageStatus: 'VALIDATION_FAILED',
      AvailablePackageVersion: 'v1',
    });
    await h.opensearch.send(
      new UpdatePackageCommand({
        PackageID: created.PackageID,
        PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
        CommitMessage: 'fixed',
      }),
    );
    await h.advance(120_000);
    expect(await describe1(created.PackageID!)).toMatchObject({
      PackageStatus: 'AVAILABLE',
      AvailablePackageVersion: 'v2',
    });
    expect(await history(created.PackageID!)).toEqual([
      ['v2', 'fixed'],
      ['v1', undefined],
    ]);
  });

  it('answers ResourceNotFoundException for an unknown id and ValidationException for a long commit message', async () => {
    const created = await createPackage('commit-rules');
    await h.advance(120_000);
    const unknown = await failure(
      h.opensearch.send(
        new UpdatePackageCommand({
          PackageID: 'F000000001',
          PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
        }),
      ),
    );
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException', status: 409 });
    const long = await failure(
      h.opensearch.send(
        new UpdatePackageCommand({
          PackageID: created.PackageID,
          PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
          CommitMessage: 'c'.repeat(161),
        }),
      ),
    );
    expect(long).toMatchObject({ name: 'ValidationException', message: /160/ });
  });
});

describe('DescribePackages', () => {
  it('filters by PackageID, PackageName and PackageStatus', async () => {
    const a = await createPackage('filter-a');
    await h.advance(120_000);
    const b = await createPackage('filter-b');
    const names = async (
      filters: Array<{ Name: 'PackageID' | 'PackageName' | 'PackageStatus'; Value: string[] }>,
    ) =>
      (await h.opensearch.send(new DescribePackagesCommand({ Filters: filters }))).PackageDetailsList!.map(
        (p) => p.PackageName,
      );
    expect(await names([{ Name: 'PackageName', Value: ['filter-b'] }])).toEqual(['filter-b']);
    expect(await names([{ Name: 'PackageID', Value: [a.PackageID!, b.PackageID!] }])).toEqual([
      'filter-a',
      'filter-b',
    ]);
    expect(await names([{ Name: 'PackageStatus', Value: ['AVAILABLE'] }])).toEqual(['filter-a']);
    expect(await names([{ Name: 'PackageStatus', Value: ['COPYING'] }])).toEqual(['filter-b']);
    expect(
      await names([
        { Name: 'PackageName', Value: ['filter-a', 'filter-b'] },
        { Name: 'PackageStatus', Value: ['COPYING'] },
      ]),
    ).toEqual(['filter-b']);
    expect(await names([{ Name: 'PackageName', Value: ['nothing-here'] }])).toEqual([]);
  });

  it('pages with MaxResults and NextToken, and refuses MaxResults above 100', async () => {
    for (const name of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) await createPackage(name);
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await h.opensearch.send(new DescribePackagesCommand({ MaxResults: 2, NextToken: token }));
      seen.push(...out.PackageDetailsList!.map((p) => p.PackageName!));
      token = out.NextToken;
      pages++;
    } while (token);
    expect(seen).toEqual(['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);
    expect(pages).toBe(3);
    const err = await failure(h.opensearch.send(new DescribePackagesCommand({ MaxResults: 101 })));
    expect(err).toMatchObject({ name: 'ValidationException', message: /100/ });
    const badToken = await failure(
      h.opensearch.send(new DescribePackagesCommand({ MaxResults: 2, NextToken: 'not-a-token' })),
    );
    expect(badToken.name).toBe('ValidationException');
  });
});

describe('DeletePackage', () => {
  it('deletes a package and frees its name', async () => {
    const created = await createPackage('to-delete');
    await h.advance(120_000);
    const out = await h.opensearch.send(new DeletePackageCommand({ PackageID: created.PackageID }));
    expect(out.PackageDetails).toMatchObject({ PackageID: created.PackageID, PackageStatus: 'DELETED' });
    const listed = await h.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: ['to-delete'] }] }),
    );
    expect(listed.PackageDetailsList).toEqual([]);
    const again = await createPackage('to-delete');
    expect(again.PackageID).not.toBe(created.PackageID);
  });

  it('shows DELETING for packageDeletingMs, then the package is gone', async () => {
    await h.control.setDurations({ packageDeletingMs: 30_000 });
    const created = await createPackage('slow-delete');
    await h.advance(120_000);
    const out = await h.opensearch.send(new DeletePackageCommand({ PackageID: created.PackageID }));
    expect(out.PackageDetails!.PackageStatus).toBe('DELETING');
    expect((await describe1(created.PackageID!)).PackageStatus).toBe('DELETING');
    expect(await failure(createPackage('slow-delete'))).toMatchObject({
      name: 'ResourceAlreadyExistsException',
    });
    await h.advance(30_000);
    const listed = await h.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [created.PackageID!] }] }),
    );
    expect(listed.PackageDetailsList).toEqual([]);
  });

  it('answers ResourceNotFoundException for an unknown id', async () => {
    const err = await failure(h.opensearch.send(new DeletePackageCommand({ PackageID: 'F123' })));
    expect(err).toMatchObject({ name: 'ResourceNotFoundException', status: 409 });
  });
});

describe('GetPackageVersionHistory', () => {
  it('pages newest first', async () => {
    await h.control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0 });
    const created = await createPackage('many-versions');
    for (let i = 2; i <= 5; i++) {
      await h.opensearch.send(
        new UpdatePackageCommand({
          PackageID: created.PackageID,
          PackageSource: { S3BucketName: BUCKET, S3Key: 'synonyms.txt' },
          CommitMessage: `edition ${i}`,
        }),
      );
    }
    const versions: string[] = [];
    let token: string | undefined;
    do {
      const out = await h.opensearch.send(
        new GetPackageVersionHistoryCommand({
          PackageID: created.PackageID,
          MaxResults: 2,
          NextToken: token,
        }),
      );
      expect(out.PackageID).toBe(created.PackageID);
      versions.push(...out.PackageVersionHistoryList!.map((v) => v.PackageVersion!));
      token = out.NextToken;
    } while (token);
    expect(versions).toEqual(['v5', 'v4', 'v3', 'v2', 'v1']);
    const unknown = await failure(
      h.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: 'F9' })),
    );
    expect(unknown.name).toBe('ResourceNotFoundException');
  });
});
