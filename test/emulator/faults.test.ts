import {
  CreatePackageCommand as IotCreatePackageCommand,
  CreatePackageVersionCommand,
  GetPackageCommand,
} from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
  GetPackageVersionHistoryCommand,
  ListDomainNamesCommand,
  ListPackagesForDomainCommand,
  OpenSearchClient,
  UpdatePackageCommand,
} from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/emulator/faults.js';
import { SeededRandom } from '../../src/emulator/prng.js';
import { credentials, failure, useEmulator } from './harness.js';

const h = useEmulator();

async function stageDictionary(): Promise<void> {
  await h.putObject('staging', 'synonyms.txt', 'car, automobile\n');
}

const createPackage = (name: string, client = h.once.opensearch) =>
  client.send(
    new CreatePackageCommand({
      PackageName: name,
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
    }),
  );

async function packagesNamed(name: string): Promise<number> {
  const out = await h.opensearch.send(
    new DescribePackagesCommand({ Filters: [{ Name: 'PackageName', Value: [name] }] }),
  );
  return out.PackageDetailsList!.length;
}

describe('throttling', () => {
  it('es: ThrottlingException "Rate exceeded" with HTTP 400, and nothing is changed', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', operation: 'CreatePackage', throttleProbability: 1 });
    const err = await failure(createPackage('throttled'));
    expect(err).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', status: 400 });
    expect(await packagesNamed('throttled')).toBe(0);
    const [call] = await h.control.calls({ operation: 'CreatePackage' });
    expect(call).toMatchObject({
      service: 'es',
      fault: 'throttle',
      httpStatus: 400,
      errorCode: 'ThrottlingException',
      mutating: true,
    });
  });

  it('iot: ThrottlingException with HTTP 400', async () => {
    await h.control.addFault({ service: 'iot', throttleProbability: 1 });
    const err = await failure(h.once.iot.send(new IotCreatePackageCommand({ packageName: 'firmware' })));
    expect(err).toMatchObject({ name: 'ThrottlingException', status: 400 });
  });

  it('s3: SlowDown with HTTP 503', async () => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    await h.control.addFault({ service: 's3', throttleProbability: 1 });
    const err = await failure(
      h.once.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: 'k', Body: 'x' })),
    );
    expect(err).toMatchObject({ name: 'SlowDown', status: 503 });
  });

  it('the SDK retries a throttle by itself; a rule with remaining=1 is then spent', async () => {
    await stageDictionary();
    await h.control.addFault({
      service: 'es',
      operation: 'CreatePackage',
      throttleProbability: 1,
      remaining: 1,
    });
    const out = await createPackage('retried', h.opensearch);
    expect(out.$metadata.attempts).toBe(2);
    const calls = await h.control.calls({ operation: 'CreatePackage' });
    expect(calls.map((c) => [c.httpStatus, c.fault])).toEqual([
      [400, 'throttle'],
      [200, undefined],
    ]);
    expect(await h.control.faults()).toEqual([]);
  });
});

describe('internal errors', () => {
  it.each([
    ['es', 'InternalException'],
    ['iot', 'InternalServerException'],
    ['s3', 'InternalError'],
  ] as const)('%s answers %s with HTTP 500', async (service, code) => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    await h.control.addFault({ service, internalErrorProbability: 1 });
    const call =
      service === 'es'
        ? h.once.opensearch.send(new ListDomainNamesCommand({}))
        : service === 'iot'
          ? h.once.iot.send(new GetPackageCommand({ packageName: 'firmware' }))
          : h.once.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: 'k' }));
    expect(await failure(call)).toMatchObject({ name: code, status: 500 });
    const record = (await h.control.calls({ service })).at(-1);
    expect(record).toMatchObject({ fault: 'internal', httpStatus: 500, errorCode: code });
  });
});

describe('lost responses', () => {
  it('applies CreatePackage and answers 500; the retry meets ResourceAlreadyExistsException', async () => {
    await stageDictionary();
    await h.control.addFault({
      service: 'es',
      operation: 'CreatePackage',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const lost = await failure(createPackage('lost'));
    expect(lost).toMatchObject({ name: 'InternalException', status: 500 });
    expect(await packagesNamed('lost')).toBe(1);
    expect(await failure(createPackage('lost'))).toMatchObject({ name: 'ResourceAlreadyExistsException' });
    const calls = await h.control.calls({ operation: 'CreatePackage' });
    expect(calls[0]).toMatchObject({
      fault: 'lost-response',
      httpStatus: 500,
      resource: { packageName: 'lost' },
    });
    expect(calls[0]!.resource?.packageId).toMatch(/^F\d+$/);
  });

  it('an IoT version whose response was lost is replayed by the SDK retry with the same clientToken', async () => {
    await h.iot.send(new IotCreatePackageCommand({ packageName: 'firmware' }));
    await h.control.addFault({
      service: 'iot',
      operation: 'CreatePackageVersion',
      loseResponseProbability: 1,
      remaining: 1,
    });
    const out = await h.iot.send(
      new CreatePackageVersionCommand({ packageName: 'firmware', versionName: '1.0.0' }),
    );
    expect(out).toMatchObject({ versionName: '1.0.0', status: 'DRAFT' });
    expect(out.$metadata.attempts).toBe(2);
    expect((await h.control.calls({ operation: 'CreatePackageVersion' })).map((c) => c.httpStatus)).toEqual([
      500, 200,
    ]);
  });

  it('applies AssociatePackage and UpdatePackage and answers 500; the state shows the applied change', async () => {
    await stageDictionary();
    await h.control.seedDomains([{ name: 'search-a' }]);
    const created = await createPackage('lost-assoc', h.opensearch);
    const id = created.PackageDetails!.PackageID!;
    await h.advance(120_000);

    await h.control.addFault({ operation: 'AssociatePackage', loseResponseProbability: 1, remaining: 1 });
    const associate = () =>
      h.once.opensearch.send(new AssociatePackageCommand({ PackageID: id, DomainName: 'search-a' }));
    expect(await failure(associate())).toMatchObject({ name: 'InternalException', status: 500 });
    const rows = await h.opensearch.send(new ListPackagesForDomainCommand({ DomainName: 'search-a' }));
    expect(rows.DomainPackageDetailsList).toMatchObject([
      { PackageID: id, DomainPackageStatus: 'ASSOCIATING' },
    ]);
    expect(await failure(associate())).toMatchObject({ name: 'ConflictException' });

    await h.control.addFault({ operation: 'UpdatePackage', loseResponseProbability: 1, remaining: 1 });
    const update = () =>
      h.once.opensearch.send(
        new UpdatePackageCommand({
          PackageID: id,
          PackageSource: { S3BucketName: 'staging', S3Key: 'synonyms.txt' },
        }),
      );
    expect(await failure(update())).toMatchObject({ name: 'InternalException', status: 500 });
    const [pkg] = (
      await h.opensearch.send(new DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [id] }] }))
    ).PackageDetailsList!;
    expect(pkg).toMatchObject({ PackageStatus: 'COPYING', AvailablePackageVersion: 'v1' });
    expect(await failure(update())).toMatchObject({ name: 'ValidationException', message: /COPYING/ });
    await h.advance(120_000);
    const history = await h.opensearch.send(new GetPackageVersionHistoryCommand({ PackageID: id }));
    expect(history.PackageVersionHistoryList!.map((v) => v.PackageVersion)).toEqual(['v2', 'v1']);
  });

  it('applies PutObject and answers InternalError', async () => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    await h.control.addFault({ service: 's3', operation: 'PutObject', loseResponseProbability: 1 });
    const err = await failure(
      h.once.s3.send(new PutObjectCommand({ Bucket: 'staging', Key: 'k', Body: 'kept' })),
    );
    expect(err).toMatchObject({ name: 'InternalError', status: 500 });
    const got = await h.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: 'k' }));
    expect(await got.Body!.transformToString()).toBe('kept');
  });
});

describe('latency', () => {
  it('delays the call by latencyMs and records it', async () => {
    await h.control.addFault({ service: 'es', operation: 'ListDomainNames', latencyMs: 250 });
    await h.opensearch.send(new ListDomainNamesCommand({}));
    const [call] = await h.control.calls({ operation: 'ListDomainNames' });
    expect(call!.fault).toBe('latency');
    // A lower bound only: sleeping never takes less than asked (timers may round down by 1 ms).
    expect(call!.durationMs).toBeGreaterThanOrEqual(249);
  });
});

describe('rule matching', () => {
  it('mutatingOnly leaves reads alone', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', mutatingOnly: true, throttleProbability: 1 });
    await h.once.opensearch.send(new DescribePackagesCommand({}));
    expect(await failure(createPackage('write'))).toMatchObject({ name: 'ThrottlingException' });
  });

  it('an operation rule leaves other operations and services alone', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', operation: 'DescribePackages', internalErrorProbability: 1 });
    await createPackage('unaffected');
    await h.once.iot.send(new IotCreatePackageCommand({ packageName: 'unaffected' }));
    expect(await failure(h.once.opensearch.send(new DescribePackagesCommand({})))).toMatchObject({
      name: 'InternalException',
    });
  });

  it('remaining=N fires N times; clearFaults removes every rule', async () => {
    await h.control.addFault({ service: 'es', throttleProbability: 1, remaining: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        await h.once.opensearch.send(new ListDomainNamesCommand({})).then(
          (r) => r.$metadata.httpStatusCode!,
          (e: { $metadata: { httpStatusCode: number } }) => e.$metadata.httpStatusCode,
        ),
      );
    }
    expect(statuses).toEqual([400, 400, 200]);
    await h.control.addFault({ service: 'es', throttleProbability: 1 });
    expect(await h.control.faults()).toHaveLength(1);
    await h.control.clearFaults();
    expect(await h.control.faults()).toEqual([]);
    await h.once.opensearch.send(new ListDomainNamesCommand({}));
  });

  it('a seeded run replays the same faults after reset', async () => {
    const pattern = async () => {
      await h.control.addFault({ service: 'es', throttleProbability: 0.5 });
      const out: boolean[] = [];
      for (let i = 0; i < 24; i++) {
        out.push(
          await h.once.opensearch.send(new ListDomainNamesCommand({})).then(
            () => true,
            () => false,
          ),
        );
      }
      return out;
    };
    const first = await pattern();
    await h.control.reset();
    const second = await pattern();
    expect(second).toEqual(first);
    expect(first).toContain(true);
    expect(first).toContain(false);
  });

  it('refuses a rule without an effect or with a probability above 1', async () => {
    await expect(h.control.addFault({ service: 'es' })).rejects.toThrow(/effect/);
    await expect(h.control.addFault({ throttleProbability: 1.5 })).rejects.toThrow(/400/);
  });
});

describe('network faults', () => {
  /** The SDK's error for a connection the server reset or never answered (it has no HTTP status). */
  const networkError = (e: { error: Record<string, unknown>; status: number | undefined }) => ({
    status: e.status,
    code: (e.error.code as string | undefined) ?? (e.error.name as string),
  });

  it('reset before: the connection is reset, nothing is applied, the call is logged', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', operation: 'CreatePackage', resetBeforeProbability: 1 });
    const err = networkError(await failure(createPackage('reset-before')));
    expect(err).toEqual({ status: undefined, code: 'ECONNRESET' });
    expect(await packagesNamed('reset-before')).toBe(0);
    const [call] = await h.control.calls({ operation: 'CreatePackage' });
    expect(call).toMatchObject({ fault: 'reset-before', httpStatus: 0, mutating: true });
  });

  it('reset after: the change stands, the client sees only a reset', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', operation: 'CreatePackage', resetAfterProbability: 1 });
    const err = networkError(await failure(createPackage('reset-after')));
    expect(err).toEqual({ status: undefined, code: 'ECONNRESET' });
    expect(await packagesNamed('reset-after')).toBe(1);
    const [call] = await h.control.calls({ operation: 'CreatePackage' });
    expect(call).toMatchObject({ fault: 'reset-after', httpStatus: 0, mutating: true });
  });

  it("hang: no answer until the client's timeout; nothing is applied; logged when the client gives up", async () => {
    await stageDictionary();
    const client = new OpenSearchClient({
      endpoint: h.emulator.url,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
      requestHandler: { connectionTimeout: 1000, socketTimeout: 300 },
    });
    try {
      await h.control.addFault({ service: 'es', operation: 'CreatePackage', hangProbability: 1 });
      const err = await failure(createPackage('hung', client));
      expect(err.name).toBe('TimeoutError');
      expect(await packagesNamed('hung')).toBe(0);
      let calls = await h.control.calls({ operation: 'CreatePackage' });
      for (let i = 0; i < 50 && calls.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        calls = await h.control.calls({ operation: 'CreatePackage' });
      }
      expect(calls).toMatchObject([{ fault: 'hang', httpStatus: 0 }]);
    } finally {
      client.destroy();
    }
  });

  it('the SDK retries a reset by itself; a reset on a read (polling) is retried the same way', async () => {
    await stageDictionary();
    await h.control.addFault({ service: 'es', resetBeforeProbability: 1, remaining: 2 });
    await createPackage('retried', h.opensearch);
    expect(await packagesNamed('retried')).toBe(1);
    const calls = await h.control.calls({ service: 'es' });
    expect(calls.map((c) => [c.operation, c.fault ?? 'none'])).toEqual([
      ['CreatePackage', 'reset-before'],
      ['CreatePackage', 'reset-before'],
      ['CreatePackage', 'none'],
      ['DescribePackages', 'none'],
    ]);
  });

  it('the same seed replays the same network fault plan', async () => {
    const draw = () => {
      const injector = new FaultInjector(new SeededRandom(42));
      injector.add({ mutatingOnly: true, throttleProbability: 0.3, loseResponseProbability: 0.1 });
      injector.add({ resetBeforeProbability: 0.1, resetAfterProbability: 0.1, hangProbability: 0.1 });
      return Array.from({ length: 200 }, (_, i) => injector.plan('es', 'AssociatePackage', i % 3 !== 0).kind);
    };
    const first = draw();
    expect(draw()).toEqual(first);
    for (const kind of ['reset-before', 'reset-after', 'hang', 'throttle'])
      expect(first.filter((k) => k === kind).length).toBeGreaterThan(0);
  });
});
