import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pairs, parseTarget, placesFromFlag, readTargetsFile, withRoles } from '../../src/cli/fleet-args.js';
import { placeLines } from '../../src/cli/places.js';
import { itemsOf } from '../../src/cli/watch.js';
import { dictionaryRolloutInput } from '../../src/model/dictionary-rollout.js';
import { packageRemovalInput } from '../../src/model/package-removal.js';
import { validate } from '../../src/model/validation.js';

const ROLE = 'arn:aws:iam::210987654321:role/rollouts';
const dir = mkdtempSync(join(tmpdir(), 'fleet-args-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('fleet CLI arguments', () => {
  it('reads region:name entries and gives each Region its --role', () => {
    const targets = ['search-1', 'eu-west-1:search-eu-1', 'ap-southeast-2:search-ap-1'].map(parseTarget);
    const withRole = withRoles(
      targets,
      pairs([`eu-west-1=${ROLE}`], 'role'),
      pairs(['eu-west-1=xid-42'], 'external-id'),
    );
    expect(withRole).toEqual([
      'search-1',
      { domain: 'search-eu-1', region: 'eu-west-1', roleArn: ROLE, externalId: 'xid-42' },
      { domain: 'search-ap-1', region: 'ap-southeast-2' },
    ]);
    expect(() => withRoles(targets, pairs([`us-east-2=${ROLE}`], 'role'), new Map())).toThrow(
      /no domain is in that Region/,
    );
    expect(() => pairs(['nonsense'], 'role')).toThrow(/region=value/);
  });

  it("a removal's --places: each Region with its --role, checked by the removal's schema", () => {
    const places = placesFromFlag(
      ['eu-west-1', 'ap-southeast-2'],
      pairs([`ap-southeast-2=${ROLE}`], 'role'),
      pairs(['ap-southeast-2=xid-42'], 'external-id'),
    );
    expect(places).toEqual([
      { region: 'eu-west-1' },
      { region: 'ap-southeast-2', roleArn: ROLE, externalId: 'xid-42' },
    ]);
    expect(() => placesFromFlag(['eu-west-1'], pairs([`us-east-2=${ROLE}`], 'role'), new Map())).toThrow(
      /us-east-2: that Region is not in --places/,
    );
    expect(validate(packageRemovalInput, { packageName: 'synonyms', places }).ok).toBe(true);
    const bad = validate(packageRemovalInput, {
      packageName: 'synonyms',
      places: placesFromFlag(['eu-west'], new Map(), new Map()),
    });
    expect(bad).toEqual({
      ok: false,
      issues: [{ field: 'places[0].region', rule: 'must be an AWS Region name such as eu-west-1' }],
    });
  });

  it('reads a CSV, a JSON array and a plain list as domains files', () => {
    const csv = readTargetsFile(
      file(
        'd.csv',
        `domain,region,roleArn,externalId\nsearch-1,,,\nsearch-eu-1,eu-west-1,${ROLE},xid-42\nsearch-ap-1,ap-southeast-2,,\n`,
      ),
      '--domains-file',
    );
    expect(csv).toEqual([
      'search-1',
      { domain: 'search-eu-1', region: 'eu-west-1', roleArn: ROLE, externalId: 'xid-42' },
      { domain: 'search-ap-1', region: 'ap-southeast-2' },
    ]);
    const json = readTargetsFile(file('d.json', JSON.stringify(csv)), '--domains-file');
    expect(json).toEqual(csv);
    expect(readTargetsFile(file('d.txt', '# fleet\nsearch-1\neu-west-1:search-eu-1\n'), 'x')).toEqual([
      'search-1',
      { domain: 'search-eu-1', region: 'eu-west-1' },
    ]);
    expect(() => readTargetsFile(file('bad.csv', 'domain,zone\na,b\n'), 'x')).toThrow(
      /unknown column\(s\) zone/,
    );
    // What the files give is what the schema checks (and names the field of).
    const r = validate(dictionaryRolloutInput, {
      packageName: 'synonyms-en',
      source: { kind: 'inline', text: 'a, b\n' },
      staging: { bucket: 'home-bucket', buckets: { 'eu-west-1': 'eu-bucket' } },
      domains: readTargetsFile(file('e.csv', 'domain,region\nsearch-1,\nsearch-eu-1,eu-west1\n'), 'x'),
    });
    expect(r.ok ? [] : r.issues.map((i) => i.field)).toContain('domains[1].region');
  });
});

describe('fleet progress in the CLI', () => {
  it('names a placed domain by its target key and prints one line per place', () => {
    const progress = {
      phase: 'associating',
      domains: [
        { domain: 'search-1', state: 'current' },
        { domain: 'search-1', target: 'eu-west-1:search-1', state: 'failed' },
      ],
      places: [
        {
          place: { key: 'default' },
          packageId: 'F1',
          targetVersion: 'v2',
          packageChange: 'updated',
          domains: 1,
          current: 1,
          failed: 0,
        },
        {
          place: { key: 'eu-west-1/210987654321' },
          packageId: '',
          packageChange: 'unchanged',
          domains: 1,
          current: 0,
          failed: 1,
          error: { type: 'PlaceUnreachable', message: `cannot assume ${ROLE}` },
        },
      ],
    };
    expect([...itemsOf(progress).keys()]).toEqual(['search-1', 'eu-west-1:search-1']);
    const lines = placeLines(progress);
    expect(lines[0]).toMatch(/place default +F1 -> v2 \(updated\) 1\/1 current, 0 failed/);
    expect(lines[1]).toContain(`PlaceUnreachable: cannot assume ${ROLE}`);
  });
});
