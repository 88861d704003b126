import { describe, expect, it } from 'vitest';
import {
  dictionaryRolloutInput,
  INLINE_TEXT_MAX_BYTES,
  markerIn,
  describeWithMarker,
  planWaves,
  type DictionaryRolloutResult,
} from '../../src/model/dictionary-rollout.js';
import { PACKAGE_DESCRIPTION_MAX } from '../../src/model/aws-rules.js';
import { validate } from '../../src/model/validation.js';

const base = {
  packageName: 'synonyms-en',
  source: { kind: 'inline', text: 'car, automobile\n' },
  staging: { bucket: 'rollout-staging' },
  domains: ['logs-1', 'logs-2', 'logs-3'],
};
const domains = (n: number) => Array.from({ length: n }, (_, i) => `domain-${i + 1}`);

function issues(input: unknown) {
  const r = validate(dictionaryRolloutInput, input);
  return r.ok ? [] : r.issues;
}

describe('dictionary rollout input', () => {
  it('fills documented defaults', () => {
    const r = validate(dictionaryRolloutInput, base);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.packageType).toBe('TXT-DICTIONARY');
    expect(r.value.staging.prefix).toBe('package-rollouts/');
    expect(r.value.policy).toMatchObject({
      maxConcurrency: 10,
      failurePolicy: 'halt',
      approvalBetweenWaves: false,
      associationDeadlineSeconds: 2700,
      pollIntervalSeconds: 15,
      waves: { strategy: 'sizes', canary: 1 },
    });
    expect(r.value.dryRun).toBe(false);
  });

  it.each([
    ['a bad package name', { ...base, packageName: 'Synonyms_EN' }, 'packageName', /AWS PackageName rule/],
    ['a too-short package name', { ...base, packageName: 'ab' }, 'packageName', /at least 3/],
    ['no domains', { ...base, domains: [] }, 'domains', /at least 1 domain/],
    ['1,001 domains', { ...base, domains: domains(1001) }, 'domains', /at most 1000/],
    [
      'duplicate domains',
      { ...base, domains: ['logs-1', 'logs-1'] },
      'domains[1]',
      /duplicate domain 'logs-1'/,
    ],
    ['a bad domain name', { ...base, domains: ['Logs_1'] }, 'domains[0]', /AWS DomainName rule/],
    ['a 29-character domain', { ...base, domains: ['a'.repeat(29)] }, 'domains[0]', /at most 28/],
    [
      'oversized inline text',
      { ...base, source: { kind: 'inline', text: 'x'.repeat(INLINE_TEXT_MAX_BYTES + 1) } },
      'source.text',
      /at most 32768 bytes inline/,
    ],
    [
      'empty inline text',
      { ...base, source: { kind: 'inline', text: '' } },
      'source.text',
      /must not be empty/,
    ],
    [
      'a plain-http remote URL',
      { ...base, source: { kind: 'url', url: 'http://example.com/s.txt' } },
      'source.url',
      /https/,
    ],
    [
      'credentials in a URL',
      { ...base, source: { kind: 'url', url: 'https://u:p@example.com/s.txt' } },
      'source.url',
      /https/,
    ],
    ['an unknown source kind', { ...base, source: { kind: 'ftp' } }, 'source.kind', /kind: 's3'/],
    [
      'a path trick in an S3 key',
      { ...base, source: { kind: 's3', bucket: 'bkt', key: 'a/../b' } },
      'source.key',
      /path segments/,
    ],
    [
      'a path trick in the prefix',
      { ...base, staging: { bucket: 'bkt', prefix: '../x/' } },
      'staging.prefix',
      /path segments/,
    ],
    ['a bad bucket', { ...base, staging: { bucket: 'Bad_Bucket' } }, 'staging.bucket', /S3 bucket name rule/],
    ['concurrency 0', { ...base, policy: { maxConcurrency: 0 } }, 'policy.maxConcurrency', /./],
    [
      'an unknown failure policy',
      { ...base, policy: { failurePolicy: 'retry' } },
      'policy.failurePolicy',
      /halt, continue or rollback/,
    ],
    [
      'non-increasing percentages',
      { ...base, policy: { waves: { strategy: 'percentages', percentages: [50, 40, 100] } } },
      'policy.waves.percentages',
      /strictly increasing/,
    ],
    [
      'percentages not ending at 100',
      { ...base, policy: { waves: { strategy: 'percentages', percentages: [10, 50] } } },
      'policy.waves.percentages',
      /last percentage must be 100/,
    ],
    [
      'an explicit wave naming an unknown domain',
      {
        ...base,
        policy: { waves: { strategy: 'explicit', waves: [['logs-1'], ['logs-2', 'logs-3', 'logs-9']] } },
      },
      'policy.waves.waves[1][2]',
      /not in domains/,
    ],
    [
      'explicit waves missing a domain',
      { ...base, policy: { waves: { strategy: 'explicit', waves: [['logs-1'], ['logs-2']] } } },
      'policy.waves.waves',
      /missing: logs-3/,
    ],
    [
      'a canary as large as the fleet',
      { ...base, policy: { waves: { strategy: 'sizes', canary: 3, sizes: [1] } } },
      'policy.waves.canary',
      /smaller than the number of domains/,
    ],
    ['an unknown field', { ...base, domain: 'x' }, '', /Unrecognized key/],
    [
      'a description too long for the content marker',
      { ...base, description: 'd'.repeat(PACKAGE_DESCRIPTION_MAX) },
      'description',
      /at most 950/,
    ],
  ])('rejects %s, naming the field', (_name, input, field, rule) => {
    const found = issues(input);
    expect(found.length).toBeGreaterThan(0);
    expect(found.map((i) => i.field)).toContain(field);
    expect(found.find((i) => i.field === field)!.rule).toMatch(rule);
  });
});

describe('planWaves', () => {
  it('puts a canary first, then the given sizes, repeating the last', () => {
    expect(
      planWaves(domains(10), { strategy: 'sizes', canary: 1, sizes: [2, 3] }).map((w) => w.length),
    ).toEqual([1, 2, 3, 3, 1]);
  });

  it('ends waves at cumulative percentages', () => {
    expect(
      planWaves(domains(20), { strategy: 'percentages', canary: 1, percentages: [10, 50, 100] }).map(
        (w) => w.length,
      ),
    ).toEqual([1, 1, 8, 10]);
  });

  it('keeps explicit lists as given', () => {
    expect(planWaves(['a', 'b', 'c'], { strategy: 'explicit', waves: [['b'], ['c', 'a']] })).toEqual([
      ['b'],
      ['c', 'a'],
    ]);
  });

  it('covers every domain exactly once, in order', () => {
    const all = domains(137);
    for (const spec of [
      { strategy: 'sizes' as const, canary: 2, sizes: [5, 40] },
      { strategy: 'percentages' as const, canary: 1, percentages: [1, 33, 100] },
      { strategy: 'sizes' as const, canary: 0, sizes: [1000] },
    ]) {
      expect(planWaves(all, spec).flat()).toEqual(all);
    }
  });

  it('gives a single domain a single wave (no canary of the whole fleet)', () => {
    expect(planWaves(['only'], { strategy: 'sizes', canary: 1, sizes: [10] })).toEqual([['only']]);
  });
});

describe('content marker', () => {
  it('round-trips through the package description', () => {
    const sha = 'a'.repeat(64);
    expect(markerIn(describeWithMarker('English synonyms', sha))).toBe(sha);
    expect(markerIn(describeWithMarker('', sha))).toBe(sha);
    expect(markerIn('no marker here')).toBeUndefined();
    expect(describeWithMarker('d'.repeat(950), sha).length).toBeLessThanOrEqual(PACKAGE_DESCRIPTION_MAX);
  });
});

describe('RolloutDomains search attribute', () => {
  it('holds the whole list when it fits the 2 KB limit, and is left out rather than truncated otherwise', async () => {
    const { domainsSearchAttribute } = await import('../../src/model/search-attributes.js');
    expect(domainsSearchAttribute(domains(50))).toHaveLength(50);
    expect(domainsSearchAttribute(domains(200))).toBeUndefined();
  });
});

describe('the result at 1,000 domains', () => {
  // Temporal warns at 256 KB per payload and refuses 2 MB; the result is one payload.
  const base = {
    outcome: 'succeeded' as const,
    packageName: 'synonyms-en',
    packageId: 'F123456789',
    targetVersion: 'v12',
    referencePath: 'analyzers/F123456789',
    contentSha256: 'a'.repeat(64),
    packageChange: 'updated' as const,
    stagedObject: { bucket: 'staging', key: `package-rollouts/${'a'.repeat(64)}.txt`, sizeBytes: 1 << 20 },
    waves: 5,
    startedAt: 1_764_000_000_000,
    finishedAt: 1_764_000_900_000,
    notes: ['Indexes read a new dictionary only after POST <index>/_plugins/_refresh_search_analyzers.'],
  };
  const domainName = (i: number) => `logs-prod-eu-west-${String(i).padStart(4, '0')}`.slice(0, 28);
  const size = (r: DictionaryRolloutResult) => Buffer.byteLength(JSON.stringify(r));

  it('stays under the 256 KB warning when every domain succeeds', () => {
    const result: DictionaryRolloutResult = {
      ...base,
      counts: { current: 1000, skipped: 0, failed: 0, notStarted: 0, rolledBack: 0 },
      domains: Array.from({ length: 1000 }, (_, i) => ({
        domain: domainName(i),
        state: 'current' as const,
        wave: 1 + Math.floor(i / 200),
        previousVersion: 'v11',
        version: 'v12',
        startedAt: base.startedAt + i * 500,
        finishedAt: base.startedAt + i * 500 + 180_000,
      })),
    };
    expect(size(result)).toBeLessThan(256 * 1024);
  });

  it('stays well under the 2 MB limit when every domain fails with AWS details', () => {
    const result: DictionaryRolloutResult = {
      ...base,
      outcome: 'partial',
      counts: { current: 0, skipped: 0, failed: 1000, notStarted: 0, rolledBack: 0 },
      domains: Array.from({ length: 1000 }, (_, i) => ({
        domain: domainName(i),
        state: 'failed' as const,
        wave: 1,
        previousVersion: 'v11',
        version: 'v11',
        startedAt: base.startedAt,
        finishedAt: base.startedAt + 2_700_000,
        error: {
          type: 'AssociationFailed',
          message: `${domainName(i)}: association of F123456789 v12 failed: ${'x'.repeat(200)}`,
          aws: {
            service: 'es' as const,
            operation: 'AssociatePackage',
            code: 'ValidationException',
            message: 'x'.repeat(200),
            requestId: '0b6c2c1e-4a8f-4d3e-9a71-2f1c3d4e5f60',
            httpStatus: 400,
            domain: domainName(i),
            packageId: 'F123456789',
          },
        },
      })),
    };
    expect(size(result)).toBeLessThan(1024 * 1024);
  });
});
