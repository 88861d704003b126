import {
  CreatePackageCommand,
  CreatePackageVersionCommand,
  DeletePackageCommand,
  DeletePackageVersionCommand,
  GetPackageCommand,
  GetPackageVersionCommand,
  ListPackageVersionsCommand,
  UpdatePackageCommand,
  UpdatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import { describe, expect, it } from 'vitest';
import { failure, useEmulator } from './harness.js';

const h = useEmulator();
const TOKEN_A = 'token-aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa';
const TOKEN_B = 'token-bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb';

const createPackage = (packageName: string, extra: object = {}) =>
  h.iot.send(new CreatePackageCommand({ packageName, ...extra }));
const createVersion = (packageName: string, versionName: string, extra: object = {}) =>
  h.iot.send(new CreatePackageVersionCommand({ packageName, versionName, ...extra }));
const getVersion = (packageName: string, versionName: string) =>
  h.iot.send(new GetPackageVersionCommand({ packageName, versionName }));
const updateVersion = (packageName: string, versionName: string, extra: object) =>
  h.iot.send(new UpdatePackageVersionCommand({ packageName, versionName, ...extra }));

describe('IoT packages', () => {
  it('CreatePackage and GetPackage', async () => {
    const created = await createPackage('firmware', {
      description: 'device firmware',
      tags: { team: 'edge' },
    });
    expect(created).toMatchObject({
      packageName: 'firmware',
      packageArn: 'arn:aws:iot:us-east-1:123456789012:package/firmware',
      description: 'device firmware',
    });
    const got = await h.iot.send(new GetPackageCommand({ packageName: 'firmware' }));
    expect(got).toMatchObject({ packageName: 'firmware', description: 'device firmware' });
    expect(got.creationDate).toBeInstanceOf(Date);
    expect(got.defaultVersionName).toBeUndefined();
  });

  it('replays the same clientToken, and answers ConflictException for other parameters or a taken name', async () => {
    const first = await createPackage('firmware', { clientToken: TOKEN_A, description: 'one' });
    const replay = await createPackage('firmware', { clientToken: TOKEN_A, description: 'one' });
    expect(replay.packageArn).toBe(first.packageArn);
    const otherParameters = await failure(
      createPackage('firmware', { clientToken: TOKEN_A, description: 'two' }),
    );
    expect(otherParameters).toMatchObject({ name: 'ConflictException', status: 409 });
    const taken = await failure(createPackage('firmware'));
    expect(taken).toMatchObject({ name: 'ConflictException', status: 409 });
    expect(taken.error.resourceId).toBe('firmware');
  });

  it('answers ValidationException for bad names and ResourceNotFoundException (404) for unknown packages', async () => {
    for (const name of ['bad name', 'slash/name', 'x'.repeat(129)]) {
      expect(await failure(createPackage(name))).toMatchObject({ name: 'ValidationException', status: 400 });
    }
    expect(await failure(createPackage('ok', { description: 'd'.repeat(1025) }))).toMatchObject({
      name: 'ValidationException',
    });
    expect(await failure(h.iot.send(new GetPackageCommand({ packageName: 'absent' })))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });
});

describe('IoT package versions', () => {
  it('CreatePackageVersion starts in DRAFT; GetPackageVersion returns it with attributes and artifact', async () => {
    await createPackage('firmware');
    const created = await createVersion('firmware', '1.0.0', {
      description: 'first',
      attributes: { channel: 'stable', 'sha:256': 'abc' },
      artifact: { s3Location: { bucket: 'artifacts', key: 'fw/1.0.0.bin', version: '1' } },
      recipe: '{"steps":[]}',
    });
    expect(created).toMatchObject({
      packageVersionArn: 'arn:aws:iot:us-east-1:123456789012:package/firmware/version/1.0.0',
      packageName: 'firmware',
      versionName: '1.0.0',
      status: 'DRAFT',
      attributes: { channel: 'stable', 'sha:256': 'abc' },
    });
    const got = await getVersion('firmware', '1.0.0');
    expect(got).toMatchObject({
      status: 'DRAFT',
      description: 'first',
      attributes: { channel: 'stable', 'sha:256': 'abc' },
      artifact: { s3Location: { bucket: 'artifacts', key: 'fw/1.0.0.bin', version: '1' } },
      recipe: '{"steps":[]}',
    });
    expect(got.lastModifiedDate).toBeInstanceOf(Date);
  });

  it('is idempotent per clientToken; a taken version name or reused token with other parameters is a ConflictException', async () => {
    await createPackage('firmware');
    const first = await createVersion('firmware', '1.0.0', { clientToken: TOKEN_A, attributes: { a: '1' } });
    const replay = await createVersion('firmware', '1.0.0', { clientToken: TOKEN_A, attributes: { a: '1' } });
    expect(replay).toMatchObject({ packageVersionArn: first.packageVersionArn, status: 'DRAFT' });
    const other = await failure(
      createVersion('firmware', '1.0.0', { clientToken: TOKEN_A, attributes: { a: '2' } }),
    );
    expect(other).toMatchObject({ name: 'ConflictException', status: 409 });
    const taken = await failure(createVersion('firmware', '1.0.0', { clientToken: TOKEN_B }));
    expect(taken).toMatchObject({ name: 'ConflictException', status: 409 });
    expect(taken.error.resourceId).toBe('1.0.0');
  });

  it('answers ValidationException for attributes over 3 KB, bad attribute keys and bad version names', async () => {
    await createPackage('firmware');
    const big = await failure(createVersion('firmware', '1.0.0', { attributes: { blob: 'x'.repeat(3100) } }));
    expect(big).toMatchObject({ name: 'ValidationException', message: /3KB/ });
    // Exactly 3 KB in total is still allowed.
    await createVersion('firmware', '1.0.1', { attributes: { blob: 'x'.repeat(3072 - 'blob'.length) } });
    const badKey = await failure(createVersion('firmware', '1.0.2', { attributes: { 'bad key': 'v' } }));
    expect(badKey.name).toBe('ValidationException');
    for (const versionName of ['1.0 beta', 'v'.repeat(65)]) {
      expect(await failure(createVersion('firmware', versionName))).toMatchObject({
        name: 'ValidationException',
      });
    }
    expect(await failure(createVersion('no-such-package', '1.0.0'))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('edits attributes only in DRAFT, then PUBLISHED -> DEPRECATED -> PUBLISHED', async () => {
    await createPackage('firmware');
    await createVersion('firmware', '1.0.0', { attributes: { channel: 'beta' } });
    await updateVersion('firmware', '1.0.0', { attributes: { channel: 'stable' }, description: 'ready' });
    expect(await getVersion('firmware', '1.0.0')).toMatchObject({
      attributes: { channel: 'stable' },
      description: 'ready',
    });

    await updateVersion('firmware', '1.0.0', { action: 'PUBLISH' });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('PUBLISHED');
    const locked = await failure(updateVersion('firmware', '1.0.0', { attributes: { channel: 'beta' } }));
    expect(locked).toMatchObject({ name: 'ConflictException', message: /only in DRAFT/ });
    await updateVersion('firmware', '1.0.0', { description: 'description stays editable' });
    expect((await getVersion('firmware', '1.0.0')).description).toBe('description stays editable');

    await updateVersion('firmware', '1.0.0', { action: 'DEPRECATE' });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('DEPRECATED');
    // DEPRECATED is not DRAFT either: attributes stay locked.
    const stillLocked = await failure(updateVersion('firmware', '1.0.0', { attributes: { channel: 'x' } }));
    expect(stillLocked).toMatchObject({ name: 'ConflictException', message: /only in DRAFT/ });
    expect((await getVersion('firmware', '1.0.0')).attributes).toEqual({ channel: 'stable' });
    await updateVersion('firmware', '1.0.0', { action: 'PUBLISH' });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('PUBLISHED');
  });

  it('UpdatePackageVersion replays the same clientToken and answers ConflictException for it with other parameters', async () => {
    await createPackage('firmware');
    await createVersion('firmware', '1.0.0');
    await updateVersion('firmware', '1.0.0', { action: 'PUBLISH', clientToken: TOKEN_A });
    await expect(
      updateVersion('firmware', '1.0.0', { action: 'PUBLISH', clientToken: TOKEN_A }),
    ).resolves.toBeDefined();
    expect(
      await failure(updateVersion('firmware', '1.0.0', { action: 'DEPRECATE', clientToken: TOKEN_A })),
    ).toMatchObject({ name: 'ConflictException', status: 409 });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('PUBLISHED');
    await updateVersion('firmware', '1.0.0', { action: 'DEPRECATE', clientToken: TOKEN_B });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('DEPRECATED');
  });

  it('refuses to deprecate a DRAFT, and answers ResourceNotFoundException for an unknown version', async () => {
    await createPackage('firmware');
    await createVersion('firmware', '1.0.0');
    expect(await failure(updateVersion('firmware', '1.0.0', { action: 'DEPRECATE' }))).toMatchObject({
      name: 'ConflictException',
    });
    expect((await getVersion('firmware', '1.0.0')).status).toBe('DRAFT');
    expect(await failure(updateVersion('firmware', '9.9.9', { action: 'PUBLISH' }))).toMatchObject({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(await failure(getVersion('firmware', '9.9.9'))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it('ListPackageVersions filters by status and pages; maxResults must be 1-100', async () => {
    await createPackage('firmware');
    for (const v of ['1', '2', '3', '4']) await createVersion('firmware', v);
    await updateVersion('firmware', '2', { action: 'PUBLISH' });
    await updateVersion('firmware', '4', { action: 'PUBLISH' });
    const published = await h.iot.send(
      new ListPackageVersionsCommand({ packageName: 'firmware', status: 'PUBLISHED' }),
    );
    expect(published.packageVersionSummaries!.map((v) => v.versionName)).toEqual(['2', '4']);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await h.iot.send(
        new ListPackageVersionsCommand({ packageName: 'firmware', maxResults: 3, nextToken: token }),
      );
      expect(page.packageVersionSummaries!.length).toBeLessThanOrEqual(3);
      seen.push(...page.packageVersionSummaries!.map((v) => `${v.versionName}:${v.status}`));
      token = page.nextToken;
    } while (token);
    expect(seen).toEqual(['1:DRAFT', '2:PUBLISHED', '3:DRAFT', '4:PUBLISHED']);
    for (const maxResults of [0, 101]) {
      expect(
        await failure(h.iot.send(new ListPackageVersionsCommand({ packageName: 'firmware', maxResults }))),
      ).toMatchObject({ name: 'ValidationException' });
    }
    expect(
      await failure(h.iot.send(new ListPackageVersionsCommand({ packageName: 'absent' }))),
    ).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('IoT default version and deletion', () => {
  it('sets and unsets the default version; a DRAFT or unknown version cannot be the default', async () => {
    await createPackage('firmware');
    await createVersion('firmware', '1.0.0');
    const draft = await failure(
      h.iot.send(new UpdatePackageCommand({ packageName: 'firmware', defaultVersionName: '1.0.0' })),
    );
    expect(draft).toMatchObject({ name: 'ConflictException', message: /DRAFT/ });
    const unknown = await failure(
      h.iot.send(new UpdatePackageCommand({ packageName: 'firmware', defaultVersionName: '2.0.0' })),
    );
    expect(unknown).toMatchObject({ name: 'ResourceNotFoundException' });

    await updateVersion('firmware', '1.0.0', { action: 'PUBLISH' });
    await h.iot.send(
      new UpdatePackageCommand({ packageName: 'firmware', defaultVersionName: '1.0.0', description: 'new' }),
    );
    expect(await h.iot.send(new GetPackageCommand({ packageName: 'firmware' }))).toMatchObject({
      defaultVersionName: '1.0.0',
      description: 'new',
    });
    const both = await failure(
      h.iot.send(
        new UpdatePackageCommand({
          packageName: 'firmware',
          defaultVersionName: '1.0.0',
          unsetDefaultVersion: true,
        }),
      ),
    );
    expect(both.name).toBe('ValidationException');
    await h.iot.send(new UpdatePackageCommand({ packageName: 'firmware', unsetDefaultVersion: true }));
    expect(
      (await h.iot.send(new GetPackageCommand({ packageName: 'firmware' }))).defaultVersionName,
    ).toBeUndefined();
  });

  it('deletes the default version only once unset, and the package only once it has no versions', async () => {
    await createPackage('firmware');
    await createVersion('firmware', '1.0.0');
    await updateVersion('firmware', '1.0.0', { action: 'PUBLISH' });
    await h.iot.send(new UpdatePackageCommand({ packageName: 'firmware', defaultVersionName: '1.0.0' }));

    const isDefault = await failure(
      h.iot.send(new DeletePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' })),
    );
    expect(isDefault).toMatchObject({ name: 'ValidationException', message: /default version/ });
    const hasVersions = await failure(h.iot.send(new DeletePackageCommand({ packageName: 'firmware' })));
    expect(hasVersions).toMatchObject({ name: 'ValidationException', message: /versions/ });

    await h.iot.send(new UpdatePackageCommand({ packageName: 'firmware', unsetDefaultVersion: true }));
    await h.iot.send(new DeletePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' }));
    expect(await failure(getVersion('firmware', '1.0.0'))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await h.iot.send(new DeletePackageCommand({ packageName: 'firmware' }));
    expect(await failure(h.iot.send(new GetPackageCommand({ packageName: 'firmware' })))).toMatchObject({
      name: 'ResourceNotFoundException',
    });
    // Deleting what is already gone succeeds, so a retried delete is harmless.
    await h.iot.send(new DeletePackageCommand({ packageName: 'firmware' }));
    await h.iot.send(new DeletePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' }));
  });
});
