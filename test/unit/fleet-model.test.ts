import { describe, expect, it } from 'vitest';
import { dictionaryRolloutInput, planWaves } from '../../src/model/dictionary-rollout.js';
import {
  planRegionWaves,
  regionOfKey,
  resolveTarget,
  stagingBucketFor,
  targetKey,
} from '../../src/model/fleet.js';
import { packageRemovalInput } from '../../src/model/package-removal.js';
import { validate } from '../../src/model/validation.js';

const ROLE_B = 'arn:aws:iam::210987654321:role/rollouts';
const base = {
  packageName: 'synonyms-en',
  source: { kind: 'inline', text: 'car, automobile\n' },
  staging: {
    bucket: 'rollout-staging',
    buckets: { 'eu-west-1': 'staging-eu', 'ap-southeast-2': 'staging-ap' },
  },
};

function issues(schema: Parameters<typeof validate>[0], input: unknown) {
  const r = validate(schema, input);
  return r.ok ? [] : r.issues;
}

describe('fleet targets', () => {
  it('keeps plain names as their own key, and keys placed domains by place', () => {
    expect(targetKey('logs-1')).toBe('logs-1');
    expect(targetKey({ domain: 'search-1', region: 'eu-west-1' })).toBe('eu-west-1:search-1');
    expect(
      targetKey({ domain: 'search-1', region: 'eu-west-1', roleArn: ROLE_B, externalId: 'xid-123' }),
    ).toBe('eu-west-1/210987654321:search-1');
    expect(regionOfKey('eu-west-1/210987654321:search-1')).toBe('eu-west-1');
    expect(regionOfKey('logs-1')).toBe('default');
    expect(resolveTarget({ domain: 'search-1', region: 'eu-west-1', roleArn: ROLE_B }).placeKey).toBe(
      'eu-west-1/210987654321',
    );
  });

  it('accepts plain runs unchanged and a mixed fleet', () => {
    expect(validate(dictionaryRolloutInput, { ...base, domains: ['a-1', 'a-2'] }).ok).toBe(true);
    const r = validate(dictionaryRolloutInput, {
      ...base,
      domains: [
        'a-1',
        { domain: 'a-1', region: 'eu-west-1' },
        { domain: 'a-1', region: 'eu-west-1', roleArn: ROLE_B },
      ],
    });
    expect(r.ok).toBe(true);
  });

  it.each([
    [{ domain: 'a-1', region: 'europe' }, 'domains[1].region', /AWS Region/],
    [
      { domain: 'a-1', region: 'eu-west-1', roleArn: 'arn:aws:iam::12:role/x' },
      'domains[1].roleArn',
      /role ARN/,
    ],
    [
      { domain: 'a-1', region: 'eu-west-1', externalId: 'xid-1' },
      'domains[1].externalId',
      /only used with roleArn/,
    ],
    [{ domain: 'A', region: 'eu-west-1' }, 'domains[1].domain', /DomainName/],
  ])('rejects %j naming %s', (target, field, rule) => {
    const found = issues(dictionaryRolloutInput, { ...base, domains: ['a-1', target] });
    expect(found.find((i) => i.field === field)?.rule).toMatch(rule);
  });

  it('refuses a domain twice in one place, and a place without a staging bucket', () => {
    const dup = issues(dictionaryRolloutInput, {
      ...base,
      domains: [
        { domain: 'a-1', region: 'eu-west-1' },
        { domain: 'a-1', region: 'eu-west-1' },
      ],
    });
    expect(dup.find((i) => i.field === 'domains[1]')?.rule).toMatch(/duplicate domain 'a-1' in eu-west-1/);
    const noBucket = issues(dictionaryRolloutInput, {
      ...base,
      domains: [{ domain: 'a-1', region: 'us-west-2' }],
    });
    expect(noBucket.find((i) => i.field === 'domains[0].region')?.rule).toMatch(
      /no staging bucket for us-west-2/,
    );
  });

  it('finds the staging bucket by place key first, then Region', () => {
    const staging = { bucket: 'home', buckets: { 'eu-west-1': 'eu', 'eu-west-1/210987654321': 'eu-b' } };
    expect(stagingBucketFor(staging, undefined)).toBe('home');
    expect(stagingBucketFor(staging, { region: 'eu-west-1' })).toBe('eu');
    expect(stagingBucketFor(staging, { region: 'eu-west-1', roleArn: ROLE_B })).toBe('eu-b');
  });

  it('explicit waves name targets by key', () => {
    const domains = ['a-1', { domain: 'a-1', region: 'eu-west-1' }];
    const ok = validate(dictionaryRolloutInput, {
      ...base,
      domains,
      policy: { waves: { strategy: 'explicit', waves: [['a-1'], ['eu-west-1:a-1']] } },
    });
    expect(ok.ok).toBe(true);
    const bad = issues(dictionaryRolloutInput, {
      ...base,
      domains,
      policy: { waves: { strategy: 'explicit', waves: [['a-1'], ['ap-southeast-2:a-1']] } },
    });
    expect(bad.map((i) => i.rule).join(' ')).toMatch(/'ap-southeast-2:a-1' is not in domains/);
  });

  it('plans a canary in the first Region, then Region by Region', () => {
    const keys = [
      'us-east-1:a-1',
      'eu-west-1:b-1',
      'us-east-1:a-2',
      'us-east-1:a-3',
      'ap-southeast-2:c-1',
      'eu-west-1:b-2',
    ];
    expect(planRegionWaves(keys, { canary: 1 })).toEqual([
      ['us-east-1:a-1'],
      ['us-east-1:a-2', 'us-east-1:a-3'],
      ['eu-west-1:b-1', 'eu-west-1:b-2'],
      ['ap-southeast-2:c-1'],
    ]);
    expect(planWaves(keys, { strategy: 'regions', canary: 1, order: ['eu-west-1', 'us-east-1'] })).toEqual([
      ['eu-west-1:b-1'],
      ['eu-west-1:b-2'],
      ['us-east-1:a-1', 'us-east-1:a-2', 'us-east-1:a-3'],
      ['ap-southeast-2:c-1'],
    ]);
  });
});

describe('fleet removal input', () => {
  it('takes placed targets, or places with all, by package name only', () => {
    expect(
      validate(packageRemovalInput, { packageName: 'abc', domains: [{ domain: 'a-1', region: 'eu-west-1' }] })
        .ok,
    ).toBe(true);
    expect(
      validate(packageRemovalInput, {
        packageName: 'abc',
        places: [{ region: 'eu-west-1', roleArn: ROLE_B }],
      }).ok,
    ).toBe(true);
    const byId = issues(packageRemovalInput, { packageId: 'F1234567890', places: [{ region: 'eu-west-1' }] });
    expect(byId.find((i) => i.field === 'packageId')?.rule).toMatch(/by packageName/);
    const listed = issues(packageRemovalInput, {
      packageName: 'abc',
      domains: ['a-1'],
      places: [{ region: 'eu-west-1' }],
    });
    expect(listed.find((i) => i.field === 'places')?.rule).toMatch(/for domains 'all'/);
  });
});
