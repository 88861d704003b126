import { describe, expect, it } from 'vitest';
import { dictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import { countVerifications, type DomainVerification } from '../../src/model/verification.js';

const base = {
  packageName: 'synonyms-en',
  source: { kind: 'inline', text: 'car, automobile\n' },
  staging: { bucket: 'rollout-staging' },
  domains: ['search-1', 'search-2'],
};
const issues = (input: unknown) =>
  dictionaryRolloutInput.safeParse(input).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

describe('verified-rollout input', () => {
  it('is absent unless asked for: a rollout without it parses as before', () => {
    const parsed = dictionaryRolloutInput.parse(base);
    expect(parsed).not.toHaveProperty('preflight');
    expect(parsed).not.toHaveProperty('verification');
  });

  it('the schema owns the defaults', () => {
    const parsed = dictionaryRolloutInput.parse({
      ...base,
      preflight: { format: 'solr' },
      verification: {
        probes: [{ index: 'products', analyzer: 'syn', text: 'car', expectedTokens: ['auto'] }],
      },
    });
    expect(parsed.preflight).toEqual({
      format: 'solr',
      chain: { tokenizer: 'standard', filters: [{ type: 'lowercase' }] },
      lenient: false,
    });
    expect(parsed.verification).toEqual({
      indexTimeUses: 'report',
      probes: [
        { index: 'products', analyzer: 'syn', text: 'car', expectedTokens: ['auto'], on: 'every-domain' },
      ],
      clusterHealth: true,
      endpoints: {},
      maxAttempts: 8,
    });
  });

  it('refuses bad fields naming them', () => {
    expect(issues({ ...base, preflight: { format: 'yaml' } })).toEqual([
      'preflight.format: must be solr, wordnet, wordlist or none',
    ]);
    // Only dictionaries reach the pre-flight: any other package type is refused before it.
    expect(issues({ ...base, packageType: 'ZIP-PLUGIN', preflight: { format: 'solr' } })).toEqual([
      expect.stringMatching(/^packageType: must be TXT-DICTIONARY: .*plugin rollout/),
    ]);
    expect(
      issues({ ...base, verification: { probes: [{ index: 'p', text: 'car', expectedTokens: [] }] } }),
    ).toEqual(['verification.probes.0: needs exactly one of analyzer or field']);
    expect(issues({ ...base, verification: { endpoints: { 'other-1': 'https://x.example' } } })).toEqual([
      "verification.endpoints.other-1: 'other-1' is not in domains",
    ]);
    expect(
      issues({ ...base, verification: { endpoints: { 'search-1': 'https://user:pw@x.example' } } }),
    ).toEqual(['verification.endpoints.search-1: must be an http(s) URL without credentials']);
    expect(issues({ ...base, verification: { indexPattern: 'a/b' } })).toEqual([
      'verification.indexPattern: must be an index name or pattern (no spaces, /, ? or #)',
    ]);
  });

  it('counts sum the domains', () => {
    const v = (over: Partial<DomainVerification>): DomainVerification => ({
      status: 'passed',
      content: 'new',
      endpoint: 'h',
      indexesRefreshed: ['a'],
      indexesReopened: [],
      indexesNeedingReindex: [],
      probesPassed: 1,
      probesFailed: 0,
      failedProbes: [],
      ...over,
    });
    expect(
      countVerifications([
        v({}),
        v({ status: 'failed', indexesReopened: ['b'], indexesNeedingReindex: ['c'], probesFailed: 2 }),
        undefined,
      ]),
    ).toEqual({
      verified: 1,
      verificationFailed: 1,
      indexesRefreshed: 3,
      indexesNeedingReindex: 1,
      probesPassed: 2,
      probesFailed: 2,
    });
  });
});
