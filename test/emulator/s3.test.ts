import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { credentials, failure, useEmulator } from './harness.js';

const h = useEmulator();
const md5 = (text: string | Buffer) => createHash('md5').update(text).digest('hex');
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

describe('S3', () => {
  it('CreateBucket, PutObject, GetObject, HeadObject', async () => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    const put = await h.s3.send(
      new PutObjectCommand({
        Bucket: 'staging',
        Key: 'dicts/synonyms en.txt',
        Body: 'car, automobile\n',
        ContentType: 'text/plain',
        Metadata: { sha256: 'abc' },
      }),
    );
    expect(put.ETag).toBe(`"${md5('car, automobile\n')}"`);
    const got = await h.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: 'dicts/synonyms en.txt' }));
    expect(await got.Body!.transformToString()).toBe('car, automobile\n');
    expect(got).toMatchObject({ ContentType: 'text/plain', ETag: put.ETag, Metadata: { sha256: 'abc' } });
    const head = await h.s3.send(new HeadObjectCommand({ Bucket: 'staging', Key: 'dicts/synonyms en.txt' }));
    expect(head).toMatchObject({ ContentLength: 16, ETag: put.ETag });
    expect(head.LastModified).toBeInstanceOf(Date);
  });

  it('routes by the SigV4 credential scope: S3 paths that are also IoT and OpenSearch routes stay S3', async () => {
    // Path-style S3 for bucket "packages", key "fw/versions/1.0.0" is IoT's GetPackageVersion
    // route; bucket "2021-01-01", key "packages/describe" is OpenSearch's DescribePackages route.
    // Only the credential scope tells them apart.
    await h.s3.send(new CreateBucketCommand({ Bucket: 'packages' }));
    await h.s3.send(new CreateBucketCommand({ Bucket: '2021-01-01' }));
    await h.s3.send(
      new PutObjectCommand({ Bucket: 'packages', Key: 'fw/versions/1.0.0', Body: 'iot-looking' }),
    );
    await h.s3.send(
      new PutObjectCommand({ Bucket: '2021-01-01', Key: 'packages/describe', Body: 'es-looking' }),
    );
    const iotLike = await h.s3.send(new GetObjectCommand({ Bucket: 'packages', Key: 'fw/versions/1.0.0' }));
    expect(await iotLike.Body!.transformToString()).toBe('iot-looking');
    const esLike = await h.s3.send(new GetObjectCommand({ Bucket: '2021-01-01', Key: 'packages/describe' }));
    expect(await esLike.Body!.transformToString()).toBe('es-looking');
    const calls = await h.control.calls();
    expect(new Set(calls.map((c) => c.service))).toEqual(new Set(['s3']));
  });

  it('HeadObject of a missing key is a bare 404; GetObject says NoSuchKey; a missing bucket says NoSuchBucket', async () => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
    const head = await failure(h.s3.send(new HeadObjectCommand({ Bucket: 'staging', Key: 'absent' })));
    expect(head).toMatchObject({ name: 'NotFound', status: 404 });
    const get = await failure(h.s3.send(new GetObjectCommand({ Bucket: 'staging', Key: 'absent' })));
    expect(get).toMatchObject({ name: 'NoSuchKey', status: 404 });
    const bucket = await failure(h.s3.send(new GetObjectCommand({ Bucket: 'no-bucket', Key: 'k' })));
    expect(bucket).toMatchObject({ name: 'NoSuchBucket', status: 404 });
    const put = await failure(h.s3.send(new PutObjectCommand({ Bucket: 'no-bucket', Key: 'k', Body: 'x' })));
    expect(put).toMatchObject({ name: 'NoSuchBucket' });
  });

  it('rejects invalid bucket names; re-creating an owned bucket in us-east-1 succeeds', async () => {
    const bad = await failure(h.s3.send(new CreateBucketCommand({ Bucket: 'Bad_Bucket' })));
    expect(bad).toMatchObject({ name: 'InvalidBucketName', status: 400 });
    await h.s3.send(new CreateBucketCommand({ Bucket: 'twice' }));
    await h.s3.send(new CreateBucketCommand({ Bucket: 'twice' }));
  });

  it('ListObjectsV2 with prefix, delimiter and continuation', async () => {
    await h.s3.send(new CreateBucketCommand({ Bucket: 'listing' }));
    const keys = ['a/1.txt', 'a/2.txt', 'a/3.txt', 'b/1.txt', 'b/deep/2.txt', 'root.txt'];
    for (const Key of keys) await h.s3.send(new PutObjectCommand({ Bucket: 'listing', Key, Body: Key }));

    const top = await h.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Delimiter: '/' }));
    expect(top.CommonPrefixes!.map((p) => p.Prefix)).toEqual(['a/', 'b/']);
    expect(top.Contents!.map((c) => c.Key)).toEqual(['root.txt']);
    expect(top.KeyCount).toBe(3);

    const underA = await h.s3.send(new ListObjectsV2Command({ Bucket: 'listing', Prefix: 'a/' }));
    expect(underA.Contents!.map((c) => [c.Key, c.Size])).toEqual([
      ['a/1.txt', 7],
      ['a/2.txt', 7],
      ['a/3.txt', 7],
    ]);
    expect(underA.Contents![0]!.ETag).toBe(`"${md5('a/1.txt')}"`);

    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await h.s3.send(
        new ListObjectsV2Command({ Bucket: 'listing', MaxKeys: 4, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((c) => c.Key!));
      expect(page.IsTruncated).toBe(page.NextContinuationToken !== undefined);
      token = page.NextContinuationToken;
      pages++;
    } while (token);
    expect(seen).toEqual(keys);
    expect(pages).toBe(2);
  });

  it('accepts aws-chunked uploads with trailing checksums from a default-configured client', async () => {
    // The SDK's default since 2025: CRC32 trailer in aws-chunked framing for streamed bodies.
    const s3 = new S3Client({
      endpoint: h.emulator.url,
      region: 'us-east-1',
      credentials,
      forcePathStyle: true,
    });
    try {
      await s3.send(new CreateBucketCommand({ Bucket: 'chunked' }));
      const content = Buffer.from('line one\nline two\n'.repeat(5000));
      await s3.send(
        new PutObjectCommand({
          Bucket: 'chunked',
          Key: 'big.txt',
          Body: Readable.from([content.subarray(0, 40_000), content.subarray(40_000)]),
          ContentLength: content.length,
        }),
      );
      const got = await s3.send(new GetObjectCommand({ Bucket: 'chunked', Key: 'big.txt' }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      expect(bytes.length).toBe(content.length);
      expect(sha256(bytes)).toBe(sha256(content));
      const state = await h.control.state();
      const object = state.s3.buckets.find((b) => b.name === 'chunked')!.objects[0]!;
      expect(object).toMatchObject({ key: 'big.txt', size: content.length, sha256: sha256(content) });
    } finally {
      s3.destroy();
    }
  });

  it('DeleteObject removes the object', async () => {
    await h.putObject('deleting', 'gone.txt', 'bye');
    await h.s3.send(new DeleteObjectCommand({ Bucket: 'deleting', Key: 'gone.txt' }));
    expect(
      await failure(h.s3.send(new HeadObjectCommand({ Bucket: 'deleting', Key: 'gone.txt' }))),
    ).toMatchObject({
      status: 404,
    });
  });
});
