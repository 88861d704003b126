import { describe, expect, it } from 'vitest';
import { packageRemovalInput } from '../../src/model/package-removal.js';
import { validate } from '../../src/model/validation.js';

describe('package removal input', () => {
  it('defaults to every associated domain, deletion, concurrency 10', () => {
    const r = validate(packageRemovalInput, { packageName: 'synonyms-en' });
    expect(r).toMatchObject({
      ok: true,
      value: { domains: 'all', deletePackage: true, maxConcurrency: 10, pollIntervalSeconds: 15 },
    });
  });

  it.each([
    [{}, 'packageName', /exactly one of packageName or packageId/],
    [{ packageName: 'abc', packageId: 'F1' }, 'packageName', /exactly one/],
    [{ packageId: 'x1' }, 'packageId', /OpenSearch package id/],
    [{ packageName: 'abc', domains: [] }, 'domains', /at least 1 domain/],
    [{ packageName: 'abc', domains: ['dom-a', 'dom-a'] }, 'domains[1]', /duplicate domain 'dom-a'/],
    [{ packageName: 'abc', domains: ['UPPER'] }, 'domains[0]', /DomainName rule/],
    [{ packageName: 'abc', maxConcurrency: 101 }, 'maxConcurrency', /./],
  ])('rejects %o naming %s', (input, field, rule) => {
    const r = validate(packageRemovalInput, input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const issue = r.issues.find((i) => i.field === field);
    expect(issue?.rule).toMatch(rule);
  });
});
