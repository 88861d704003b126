import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createS3Activities } from '../../src/activities/s3.js';
import { loadStagingConfig } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { DICTIONARY_MAX_BYTES } from '../../src/model/dictionary-rollout.js';
import { FailureTypes } from '../../src/model/failures.js';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';

/** The stage activity against the emulator's S3 through the real SDK client. */
const stack = useActivityEmulator();
let emulator: RunningEmulator;
let aws: AwsClients;
const env = new MockActivityEnvironment();
const BUCKET = 'staging';
const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const staging = { bucket: BUCKET, prefix: 'package-rollouts/' };

beforeEach(async () => {
  emulator = stack.emulator();
  aws = stack.aws();
  await emulator.control.reset();
  await aws.s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

async function objectText(key: string): Promise<string> {
  const out = await aws.s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return out.Body!.transformToString();
}

describe('stageDictionary', () => {
  const s3 = () => createS3Activities({ aws }, loadStagingConfig({}));

  it('stores once under the content hash, with the hash as metadata; the same content is reused', async () => {
    const text = 'car, automobile\n';
    const first = await runActivity(env, s3().stageDictionary, {
      source: { kind: 'inline', text },
      staging,
      packageType: 'TXT-DICTIONARY',
    });
    expect(first).toMatchObject({
      key: `package-rollouts/${sha(text)}.txt`,
      sha256: sha(text),
      reused: false,
    });
    const again = await runActivity(env, s3().stageDictionary, {
      source: { kind: 'inline', text },
      staging,
      packageType: 'TXT-DICTIONARY',
    });
    expect(again.reused).toBe(true);
    expect((await emulator.control.calls({ operation: 'PutObject' })).length).toBe(1);
  });

  it('does not trust an object under the key that lacks the hash metadata: it is overwritten', async () => {
    const text = 'valid, text\n';
    const key = `package-rollouts/${sha(text)}.txt`;
    // Same key and length as the real content, other bytes, no sha256 metadata (written by hand).
    await aws.s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'XXXXX, XXXX\n' }));
    const staged = await runActivity(env, s3().stageDictionary, {
      source: { kind: 'inline', text },
      staging,
      packageType: 'TXT-DICTIONARY',
    });
    expect(staged.reused).toBe(false);
    expect(await objectText(key)).toBe(text);
  });

  it('stops reading a URL body without Content-Length as soon as it passes the size limit', async () => {
    let served = 0;
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    const server = createServer((_req, res) => {
      res.writeHead(200); // chunked: no Content-Length
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) served += chunk.byteLength;
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const err = await runActivity(env, s3().stageDictionary, {
        source: {
          kind: 'url',
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/endless.txt`,
        },
        staging,
        packageType: 'TXT-DICTIONARY',
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureTypes.InvalidSource);
      expect((err as ApplicationFailure).message).toMatch(/larger than/);
      // Read just past the limit, not for ever (socket buffers hold a few MiB more); nothing written.
      expect(served).toBeLessThanOrEqual(DICTIONARY_MAX_BYTES + 32 * chunk.byteLength);
      expect((await emulator.control.calls({ operation: 'PutObject' })).length).toBe(0);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('checks UTF-8 as a stream: a character split across chunks passes, a bad byte does not', async () => {
    const euro = Buffer.from('€uro, euro\n'); // € is 3 bytes: split it between two writes
    const bad = Buffer.from([0x61, 0x0a, 0xff, 0x0a]);
    const server = createServer((req, res) => {
      res.writeHead(200);
      if (req.url === '/bad.txt') return res.end(bad);
      res.write(euro.subarray(0, 1));
      setTimeout(() => res.end(euro.subarray(1)), 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ok = await runActivity(env, s3().stageDictionary, {
        source: { kind: 'url', url: `${base}/split.txt` },
        staging,
        packageType: 'TXT-DICTIONARY',
      });
      expect(ok.sha256).toBe(sha(euro));
      expect(await objectText(ok.key)).toBe('€uro, euro\n');
      const err = await runActivity(env, s3().stageDictionary, {
        source: { kind: 'url', url: `${base}/bad.txt` },
        staging,
        packageType: 'TXT-DICTIONARY',
      }).catch((e: unknown) => e);
      expect((err as ApplicationFailure).message).toMatch(/must be UTF-8 text/);
    } finally {
      server.close();
    }
  });

  it('stagedObjectExists: true only for an object carrying this content hash', async () => {
    const text = 'a\nthe\n';
    const staged = await runActivity(env, s3().stageDictionary, {
      source: { kind: 'inline', text },
      staging,
      packageType: 'TXT-DICTIONARY',
    });
    const exists = (key: string, sha256: string) =>
      runActivity(env, s3().stagedObjectExists, { bucket: BUCKET, key, sha256 });
    expect(await exists(staged.key, staged.sha256)).toBe(true);
    expect(await exists(`other-prefix/${staged.sha256}.txt`, staged.sha256)).toBe(false);
    expect(await exists(staged.key, sha('something else'))).toBe(false);
  });
});
