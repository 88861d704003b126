import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/aws/clients.js';
import { createS3Activities, type S3ActivityOptions } from '../../src/activities/s3.js';
import { loadStagingConfig } from '../../src/config.js';
import type { RunningEmulator } from '../../src/emulator/server.js';
import { FailureTypes } from '../../src/model/failures.js';
import type { ResolvedAddress } from '../../src/net/outbound-url.js';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';

/**
 * What the staging activity refuses before it reads or mutates anything: a source bucket outside
 * ROLLOUTS_SOURCE_BUCKETS, and user-given URLs that lead to metadata, link-local, private or
 * rebound addresses. Against the emulator through the real SDK, with a local HTTP server.
 */
const stack = useActivityEmulator();
let emulator: RunningEmulator;
let aws: AwsClients;
const staging = { bucket: 'staging', prefix: 'package-rollouts/' };
let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/to-metadata') {
      res.writeHead(302, { location: 'https://169.254.169.254/latest/meta-data/iam/security-credentials/' });
      return res.end();
    }
    if (req.url === '/to-private') {
      res.writeHead(301, { location: 'https://internal.corp.example/secrets.txt' });
      return res.end();
    }
    if (req.url === '/slow.txt') {
      res.writeHead(200);
      let n = 0;
      const timer = setInterval(() => {
        res.write(`line ${n}\n`);
        if (++n === 8) {
          clearInterval(timer);
          res.end();
        }
      }, 50);
      return;
    }
    res.writeHead(200);
    res.end('car, automobile\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

beforeEach(async () => {
  emulator = stack.emulator();
  aws = stack.aws();
  await emulator.control.reset();
  await aws.s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
});

/** AWS calls that read a source or change anything. */
async function sourceReadsAndMutations(): Promise<string[]> {
  const calls = await emulator.control.calls();
  return calls
    .map((c) => c.operation)
    .filter((op) => op === 'GetObject' || !/^(Head|Get|List|Describe)/.test(op))
    .filter((op) => op !== 'CreateBucket');
}

function stage(options: Partial<S3ActivityOptions>, source: unknown, env = new MockActivityEnvironment()) {
  const activities = createS3Activities({ aws }, { ...loadStagingConfig({}), ...options });
  return runActivity(env, activities.stageDictionary, {
    source: source as never,
    staging,
    packageType: 'TXT-DICTIONARY',
  }).catch((e: unknown) => e);
}

describe('source bucket allow-list (ROLLOUTS_SOURCE_BUCKETS)', () => {
  const sourceBuckets = loadStagingConfig({
    ROLLOUTS_SOURCE_BUCKETS: 'dictionaries, shared/synonyms/',
  }).sourceBuckets;

  it('refuses a source bucket (or prefix) outside the list before any read', async () => {
    for (const name of ['other-team', 'shared']) {
      await aws.s3.send(new CreateBucketCommand({ Bucket: name }));
      await aws.s3.send(new PutObjectCommand({ Bucket: name, Key: 'private/x.txt', Body: 'secret\n' }));
    }
    const before = (await emulator.control.calls({ operation: 'GetObject' })).length;
    for (const [bucket, key] of [
      ['other-team', 'private/x.txt'],
      ['shared', 'private/x.txt'],
    ] as const) {
      const err = await stage({ sourceBuckets }, { kind: 's3', bucket, key });
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe(FailureTypes.InvalidSource);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as ApplicationFailure).message).toMatch(
        new RegExp(
          `s3://${bucket}/private/x.txt is outside the buckets this worker may read \\(ROLLOUTS_SOURCE_BUCKETS: dictionaries, shared/synonyms/\\)`,
        ),
      );
    }
    expect((await emulator.control.calls({ operation: 'GetObject' })).length).toBe(before);
  });

  it('reads a source inside the list', async () => {
    await aws.s3.send(new CreateBucketCommand({ Bucket: 'shared' }));
    await aws.s3.send(new PutObjectCommand({ Bucket: 'shared', Key: 'synonyms/en.txt', Body: 'a, b\n' }));
    const staged = await stage({ sourceBuckets }, { kind: 's3', bucket: 'shared', key: 'synonyms/en.txt' });
    expect(staged).toMatchObject({ sizeBytes: 5, reused: false });
  });

  it('is validated at start, naming the variable', () => {
    expect(() => loadStagingConfig({ ROLLOUTS_SOURCE_BUCKETS: 'Bad_Bucket' })).toThrow(
      /ROLLOUTS_SOURCE_BUCKETS: 'Bad_Bucket' must be a bucket name/,
    );
    expect(() => loadStagingConfig({ ROLLOUTS_SOURCE_BUCKETS: 'ok-bucket/pre*' })).toThrow(/without '\*'/);
    expect(() => loadStagingConfig({ ROLLOUTS_STAGING_CONCURRENCY: '0' })).toThrow(
      /ROLLOUTS_STAGING_CONCURRENCY must be a whole number from 1 to 100/,
    );
    expect(() => loadStagingConfig({ ROLLOUTS_OUTBOUND_ALLOW: '10.0.0.1' })).toThrow(
      /ROLLOUTS_OUTBOUND_ALLOW: '10.0.0.1' must be a host name or a CIDR/,
    );
    expect(loadStagingConfig({}).stagingConcurrency).toBe(4);
  });
});

describe('outbound URL policy for url sources', () => {
  /** A resolver standing in for DNS: each name's answers, in order, one per lookup. */
  function resolver(answers: Record<string, ResolvedAddress[][]>) {
    const calls: string[] = [];
    const resolve = async (name: string) => {
      calls.push(name);
      const list = answers[name];
      if (!list) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
      return list.length > 1 ? list.shift()! : list[0]!;
    };
    return { calls, resolve };
  }
  const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
  const policy = (
    resolve?: (n: string) => Promise<ResolvedAddress[]>,
    extra: Partial<S3ActivityOptions['outbound']> = {},
  ) => ({
    outbound: {
      allowHosts: [],
      allowCidrs: [],
      allowLoopback: true,
      ...(resolve ? { resolve } : {}),
      ...extra,
    },
  });

  it.each([
    [
      'metadata IPv4',
      'https://169.254.169.254/latest/meta-data/',
      /169\.254\.169\.254, a cloud instance metadata endpoint/,
    ],
    [
      'metadata IPv6',
      'https://[fd00:ec2::254]/latest/meta-data/',
      /fd00:ec2::254, a cloud instance metadata endpoint/,
    ],
    [
      'metadata as IPv4-mapped IPv6',
      'https://[::ffff:169.254.169.254]/',
      /a cloud instance metadata endpoint/,
    ],
    ['link-local', 'https://169.254.10.1/d.txt', /169\.254\.10\.1, a link-local address/],
    ['link-local IPv6', 'https://[fe80::1]/d.txt', /fe80::1, a link-local address/],
    ['private', 'https://10.0.0.5/d.txt', /10\.0\.0\.5, a private address/],
    ['private IPv6 (unique local)', 'https://[fd12:3456::1]/d.txt', /a private address/],
    [
      'plain http to a non-loopback host',
      'http://dictionaries.example.com/d.txt',
      /only https URLs are fetched/,
    ],
  ])('refuses %s with a clear error before any AWS mutation', async (_kind, url, message) => {
    const err = await stage(policy(), { kind: 'url', url });
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(FailureTypes.InvalidSource);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toMatch(message);
    expect(await sourceReadsAndMutations()).toEqual([]);
  });

  it('refuses a name that resolves to a private address, and one whose answers mix public and private', async () => {
    const dns = resolver({
      'internal.corp.example': [[v4('10.1.2.3')]],
      'mixed.example': [[v4('93.184.215.14'), v4('192.168.1.10')]],
    });
    for (const [host, address] of [
      ['internal.corp.example', '10.1.2.3'],
      ['mixed.example', '192.168.1.10'],
    ] as const) {
      const err = await stage(policy(dns.resolve), { kind: 'url', url: `https://${host}/d.txt` });
      expect((err as ApplicationFailure).message).toMatch(
        new RegExp(
          `source.url: '${host}' resolves to ${address.replace(/\./g, '\\.')}, a private address; refused before connecting`,
        ),
      );
    }
    expect(await sourceReadsAndMutations()).toEqual([]);
  });

  it('re-checks each redirect: to the metadata endpoint, and to a name resolving to a private address', async () => {
    const dns = resolver({ 'internal.corp.example': [[v4('10.9.8.7')]] });
    const toMetadata = await stage(policy(dns.resolve), {
      kind: 'url',
      url: `http://127.0.0.1:${port}/to-metadata`,
    });
    expect((toMetadata as ApplicationFailure).message).toMatch(
      /source.url \(redirect 1\): '169\.254\.169\.254' resolves to 169\.254\.169\.254, a cloud instance metadata endpoint/,
    );
    const toPrivate = await stage(policy(dns.resolve), {
      kind: 'url',
      url: `http://127.0.0.1:${port}/to-private`,
    });
    expect((toPrivate as ApplicationFailure).message).toMatch(
      /source.url \(redirect 1\): 'internal.corp.example' resolves to 10\.9\.8\.7, a private address/,
    );
    expect(await sourceReadsAndMutations()).toEqual([]);
  });

  it('DNS rebinding: connects to the address it checked, once; the rebound answer is refused', async () => {
    // First answer: the local server (allowed); every later answer: the metadata endpoint.
    const dns = resolver({ localhost: [[v4('127.0.0.1')], [v4('169.254.169.254')]] });
    const url = `http://localhost:${port}/d.txt`;
    const staged = await stage(policy(dns.resolve), { kind: 'url', url });
    expect(staged).toMatchObject({ sizeBytes: 16 });
    // One lookup for the check; the connection used its answer instead of asking again.
    expect(dns.calls).toEqual(['localhost']);
    const again = await stage(policy(dns.resolve), { kind: 'url', url });
    expect((again as ApplicationFailure).message).toMatch(
      /'localhost' resolves to 169\.254\.169\.254, a cloud instance metadata endpoint/,
    );
    expect((await emulator.control.calls({ operation: 'PutObject' })).length).toBe(1);
  });

  it('allows a named host or a CIDR when the worker is configured to; never the metadata endpoint', async () => {
    const dns = resolver({ 'mirror.corp.example': [[v4('10.1.2.3')]] });
    const allowed = loadStagingConfig({
      ROLLOUTS_OUTBOUND_ALLOW: 'mirror.corp.example,169.254.0.0/16',
    }).outbound;
    const errHost = await stage(
      { outbound: { ...allowed, resolve: dns.resolve } },
      { kind: 'url', url: 'https://mirror.corp.example:1/d.txt' },
    );
    // Allowed by policy, so it tried to connect (nothing listens there): retryable, not refused.
    expect((errHost as ApplicationFailure).type).toBe('SourceUnreachable');
    const errMeta = await stage({ outbound: allowed }, { kind: 'url', url: 'https://169.254.169.254/' });
    expect((errMeta as ApplicationFailure).message).toMatch(/metadata endpoint \(never allowed\)/);
    const noLoopback = loadStagingConfig({ ROLLOUTS_OUTBOUND_ALLOW_LOOPBACK: 'false' }).outbound;
    const errLoop = await stage(
      { outbound: noLoopback },
      { kind: 'url', url: `http://127.0.0.1:${port}/d.txt` },
    );
    expect((errLoop as ApplicationFailure).message).toMatch(/a loopback address/);
  });
});

describe('staging slots and heartbeats', () => {
  it('heartbeats while downloading and while waiting for a slot (concurrency 1)', async () => {
    const activities = createS3Activities(
      { aws },
      { ...loadStagingConfig({ ROLLOUTS_STAGING_CONCURRENCY: '1' }), heartbeatIntervalMs: 20 },
    );
    const phases = (env: MockActivityEnvironment) => {
      const seen: string[] = [];
      env.on('heartbeat', (d: { phase: string }) => seen.push(d.phase));
      return seen;
    };
    const first = new MockActivityEnvironment();
    const second = new MockActivityEnvironment();
    const firstPhases = phases(first);
    const secondPhases = phases(second);
    const input = (path: string) => ({
      source: { kind: 'url' as const, url: `http://127.0.0.1:${port}${path}` },
      staging,
      packageType: 'TXT-DICTIONARY',
    });
    const a = runActivity(first, activities.stageDictionary, input('/slow.txt'));
    const b = runActivity(second, activities.stageDictionary, input('/d.txt'));
    await Promise.all([a, b]);
    expect(firstPhases).toContain('downloading');
    // The second waited for the first's slot, heartbeating meanwhile, and then ran.
    expect(secondPhases.filter((p) => p === 'waiting for a staging slot').length).toBeGreaterThan(1);
    expect((await b).sizeBytes).toBe(16);
  });
});
