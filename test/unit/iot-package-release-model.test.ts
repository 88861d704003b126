import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  attributesByteSize,
  iotPackageReleaseInput,
  iotPackageReleaseWorkflowId,
  newerPublished,
  releaseClientToken,
  sha256Hex,
  versionContentDifferences,
  versionsToDeprecate,
  type IotVersionSummary,
} from '../../src/model/iot-package-release.js';
import { validate } from '../../src/model/validation.js';

const base = { packageName: 'edge-agent', versionName: '1.2.0' };

function issuesOf(input: unknown) {
  const r = validate(iotPackageReleaseInput, input);
  expect(r.ok).toBe(false);
  return r.ok ? [] : r.issues;
}

describe('IoT package release input', () => {
  it('fills defaults: publish now, make default, no deprecation, empty description and attributes, call priority 3', () => {
    const r = validate(iotPackageReleaseInput, base);
    expect(r).toEqual({
      ok: true,
      value: {
        ...base,
        description: '',
        attributes: {},
        tags: {},
        publish: 'now',
        makeDefault: true,
        deprecateOlder: 'off',
        priority: { calls: 3, cleanup: 1 },
      },
    });
  });

  it("does not make a DRAFT the default: publish 'no' defaults makeDefault to false", () => {
    const r = validate(iotPackageReleaseInput, { ...base, publish: 'no' });
    expect(r.ok && r.value.makeDefault).toBe(false);
  });

  it.each([
    ['packageName', { ...base, packageName: 'edge agent' }, /AWS IoT packageName rule/],
    ['packageName', { ...base, packageName: 'x'.repeat(129) }, /at most 128/],
    ['versionName', { ...base, versionName: '1.2/3' }, /AWS IoT versionName rule/],
    ['versionName', { ...base, versionName: '' }, /must not be empty/],
    ['versionName', { ...base, versionName: 'v'.repeat(65) }, /at most 64/],
    ['attributes.bad key', { ...base, attributes: { 'bad key': 'x' } }, /AWS IoT attribute key rule/],
    ['attributes.a/b', { ...base, attributes: { 'a/b': 'x' } }, /attribute key rule/],
    ['attributes.empty', { ...base, attributes: { empty: '' } }, /must not be empty/],
    ['attributes.multi', { ...base, attributes: { multi: 'line\nbreak' } }, /control or format/],
    ['description', { ...base, description: 'two\nlines' }, /AWS IoT description rule/],
    ['description', { ...base, description: 'd'.repeat(1025) }, /at most 1024/],
    ['tags.aws:owner', { ...base, tags: { 'aws:owner': 'me' } }, /reserved by AWS/],
    ['artifact.bucket', { ...base, artifact: { bucket: 'Bad_Bucket', key: 'a.zip' } }, /S3 bucket name rule/],
    ['artifact.key', { ...base, artifact: { bucket: 'releases', key: '../a.zip' } }, /'\.\.'/],
    ['publish', { ...base, publish: 'later' }, /'now', 'after-approval' or 'no'/],
    ['makeDefault', { ...base, publish: 'no', makeDefault: true }, /DRAFT version cannot be the default/],
    [
      'deprecateOlder',
      { ...base, publish: 'no', deprecateOlder: { keepLast: 2 } },
      /needs this one published/,
    ],
    ['deprecateOlder.keepLast', { ...base, deprecateOlder: { keepLast: 0 } }, /at least 1/],
    ['deprecateOlder', { ...base, deprecateOlder: 'all' }, /keepLast/],
    ['', { ...base, extra: true }, /extra/],
  ])('rejects a bad %s', (field, input, rule) => {
    const issue = issuesOf(input).find((i) => i.field === field);
    expect(issue?.rule).toMatch(rule);
  });

  it('counts the 3 KB attribute limit as UTF-8 bytes of every key and value', () => {
    expect(attributesByteSize({ ab: 'cde', 'k:1': 'é' })).toBe(2 + 3 + 3 + 2);
    // 3072 bytes exactly: key 'k' (1) + 3071 bytes of value.
    const atLimit = { k: 'v'.repeat(3071) };
    expect(validate(iotPackageReleaseInput, { ...base, attributes: atLimit }).ok).toBe(true);
    const over = issuesOf({ ...base, attributes: { k: 'v'.repeat(3072) } });
    expect(over).toEqual([{ field: 'attributes', rule: expect.stringMatching(/3073 bytes.*3072 \(3 KB\)/) }]);
    // Multi-byte characters count by their UTF-8 size: 1025 x 'é' (2 bytes) + 'k' = 2051 is fine,
    // 1536 x 'é' + 'k' = 3073 is not, although it is only 1537 characters.
    expect(validate(iotPackageReleaseInput, { ...base, attributes: { k: 'é'.repeat(1025) } }).ok).toBe(true);
    expect(issuesOf({ ...base, attributes: { k: 'é'.repeat(1536) } })[0]?.rule).toMatch(/3073 bytes/);
  });
});

describe('release ids and client tokens', () => {
  it('derives one workflow id per package version', () => {
    expect(iotPackageReleaseWorkflowId('edge-agent', '1.2.0')).toBe('iot-package-release/edge-agent/1.2.0');
  });

  it('computes SHA-256 as node:crypto does, across block boundaries and for UTF-8', () => {
    for (const text of [
      '',
      'abc',
      'a'.repeat(55),
      'a'.repeat(56),
      'a'.repeat(64),
      'a'.repeat(200),
      'héllo ✓ 🚀',
    ]) {
      expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
    }
  });

  it('gives tokens AWS accepts (36-64 non-space characters), stable per run and step, distinct otherwise', () => {
    const id = iotPackageReleaseWorkflowId('p'.repeat(128), 'v'.repeat(64));
    const token = releaseClientToken(id, 'run-1', 'create-version');
    expect(token).toMatch(/^\S{36,64}$/);
    expect(releaseClientToken(id, 'run-1', 'create-version')).toBe(token);
    const others = [
      releaseClientToken(id, 'run-1', 'publish'),
      releaseClientToken(id, 'run-2', 'create-version'),
      releaseClientToken(`${id}x`, 'run-1', 'create-version'),
    ];
    expect(new Set([token, ...others]).size).toBe(4);
  });
});

describe('content comparison of an existing version', () => {
  const content = {
    description: 'agent',
    attributes: { channel: 'stable', 'os:arch': 'arm64' },
    artifact: { bucket: 'releases', key: 'agent-1.2.0.zip' },
  };

  it('finds no difference in equal content (attribute order does not matter)', () => {
    expect(
      versionContentDifferences(content, {
        ...content,
        attributes: { 'os:arch': 'arm64', channel: 'stable' },
      }),
    ).toEqual([]);
    expect(
      versionContentDifferences({ description: '', attributes: {} }, { description: '', attributes: {} }),
    ).toEqual([]);
  });

  it('names each differing field with both values', () => {
    const existing = {
      description: 'old agent',
      attributes: { channel: 'beta', removed: 'x' },
      artifact: { bucket: 'releases', key: 'agent-1.2.0.zip', version: 'v7' },
    };
    expect(versionContentDifferences(content, existing)).toEqual([
      { field: 'description', existing: 'old agent', requested: 'agent' },
      { field: 'attributes.channel', existing: 'beta', requested: 'stable' },
      { field: 'attributes.os:arch', existing: '(absent)', requested: 'arm64' },
      { field: 'attributes.removed', existing: 'x', requested: '(absent)' },
      {
        field: 'artifact',
        existing: 's3://releases/agent-1.2.0.zip?versionId=v7',
        requested: 's3://releases/agent-1.2.0.zip',
      },
    ]);
  });
});

describe('deprecation plan (keep last K)', () => {
  const v = (versionName: string, creationDate: number): IotVersionSummary => ({
    versionName,
    status: 'PUBLISHED',
    creationDate,
  });
  const listed = [v('1.0', 100), v('1.1', 200), v('1.2', 300), v('1.3', 400), v('2.0', 500)];
  const release = { versionName: '1.3', creationDate: 400 };

  it('keeps this version and the K-1 newest older ones; never touches newer versions', () => {
    expect(versionsToDeprecate(listed, release, 1, undefined)).toEqual(['1.2', '1.1', '1.0']);
    expect(versionsToDeprecate(listed, release, 2, undefined)).toEqual(['1.1', '1.0']);
    expect(versionsToDeprecate(listed, release, 4, undefined)).toEqual([]);
    expect(newerPublished(listed, release)).toEqual(['2.0']);
  });

  it("spares the package's default version", () => {
    expect(versionsToDeprecate(listed, release, 1, '1.1')).toEqual(['1.2', '1.0']);
  });

  it('orders equal creation dates by the listing (oldest first)', () => {
    const same = [v('a', 100), v('b', 100), v('c', 100)];
    expect(versionsToDeprecate(same, { versionName: 'c', creationDate: 100 }, 2, undefined)).toEqual(['a']);
    expect(newerPublished(same, { versionName: 'b', creationDate: 100 })).toEqual(['c']);
  });
});
