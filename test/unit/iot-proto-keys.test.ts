import { describe, expect, it } from 'vitest';
import { iotPackageReleaseInput } from '../../src/model/iot-package-release.js';
import { validate } from '../../src/model/validation.js';

/** A `__proto__` key in JSON input is an own property; a record schema alone drops it silently. */
describe('IoT attributes and tags with a __proto__ key', () => {
  const base = { packageName: 'edge-agent', versionName: '1.2.0' };

  it.each(['attributes', 'tags'])('refuses one in %s, naming the key', (field) => {
    const input: unknown = JSON.parse(
      `{"packageName":"edge-agent","versionName":"1.2.0","${field}":{"__proto__":"x","ok":"y"}}`,
    );
    const r = validate(iotPackageReleaseInput, input);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r.ok ? [] : r.issues)).toMatch(/__proto__.*not allowed/);
  });

  it('still accepts ordinary keys and fills the defaults', () => {
    const r = validate(iotPackageReleaseInput, { ...base, attributes: { ok: 'y' } });
    expect(r.ok && r.value.attributes).toEqual({ ok: 'y' });
    expect(r.ok && r.value.tags).toEqual({});
  });
});
