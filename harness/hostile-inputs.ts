/**
 * Malformed and hostile inputs for every workflow, shared by the unit test (schemas), the temporal
 * test (workflows started directly, bypassing the client), the CLI test and the chaos suite.
 *
 * Each case says which field the error must name (`field`: the dotted path of the InputIssue;
 * '' for the input as a whole, in which case `mentions` must appear in the rule) and, where the
 * wording matters, what the rule must say.
 */
import { WorkflowTypes, type WorkflowType } from '../src/model/constants.js';

export type HostileCategory =
  | 'wrong-type'
  | 'missing-field'
  | 'oversized'
  | 'aws-name-rule'
  | 'path-trick'
  | 'url-trick'
  | 'duplicate'
  | 'unknown-reference'
  | 'conflicting-options'
  | 'unknown-field'
  | 'injection';

export interface HostileInput {
  id: string;
  workflow: WorkflowType;
  category: HostileCategory;
  input: unknown;
  /** The InputIssue.field the error must name. */
  field: string;
  /** Must match the rule of that issue. */
  rule?: RegExp;
  /** Must appear in the rule (for field '' issues: the offending key). */
  mentions?: string;
}

const D = WorkflowTypes.dictionaryRollout;
const R = WorkflowTypes.packageRemoval;
const A = WorkflowTypes.dataSourceAttachment;
const I = WorkflowTypes.iotPackageRelease;
const P = WorkflowTypes.pluginRollout;

/** A valid input of each workflow; every case changes one thing. */
export const validInputs = {
  [D]: {
    packageName: 'synonyms-hostile',
    source: { kind: 'inline', text: 'car, automobile\n' },
    staging: { bucket: 'hostile-staging' },
    domains: ['hostile-1', 'hostile-2'],
    policy: { pollIntervalSeconds: 0.2 },
  },
  [R]: { packageName: 'synonyms-hostile', domains: ['hostile-1'] },
  [A]: {
    applicationName: 'hostile-app',
    dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/hostile-1',
  },
  [I]: { packageName: 'hostile-firmware', versionName: '1.0.0' },
  [P]: {
    engineVersion: 'OpenSearch_2.19',
    bundle: { plugin: { packageName: 'hostile-plugin', source: { kind: 'inline', text: 'PK' } } },
    staging: { bucket: 'hostile-staging' },
    domains: ['hostile-1'],
  },
} as const satisfies Record<WorkflowType, Record<string, unknown>>;

type Obj = Record<string, unknown>;
const dict = (change: Obj) => ({ ...validInputs[D], ...change });
const dictPolicy = (change: Obj) => dict({ policy: { ...validInputs[D].policy, ...change } });
const dictSource = (source: Obj) => dict({ source });
const without = (o: Obj, key: string) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const s3 = (key: string) => ({ kind: 's3', bucket: 'hostile-sources', key });
const url = (u: string) => ({ kind: 'url', url: u });
const removal = (change: Obj) => ({ ...validInputs[R], ...change });
const attach = (change: Obj) => ({ ...validInputs[A], ...change });
const iot = (change: Obj) => ({ ...validInputs[I], ...change });
const plugin = (change: Obj) => ({ ...validInputs[P], ...change });
const repeat = (s: string, n: number) => s.repeat(n);

// prettier-ignore
export const hostileInputs: HostileInput[] = [
  // ---- dictionaryRollout: wrong types -------------------------------------------------------
  { id: 'd-null-input', workflow: D, category: 'wrong-type', input: null, field: '', rule: /expected object/ },
  { id: 'd-array-input', workflow: D, category: 'wrong-type', input: [validInputs[D]], field: '', rule: /expected object/ },
  { id: 'd-string-input', workflow: D, category: 'wrong-type', input: 'synonyms-hostile', field: '', rule: /expected object/ },
  { id: 'd-number-package-name', workflow: D, category: 'wrong-type', input: dict({ packageName: 42 }), field: 'packageName', rule: /expected string/ },
  { id: 'd-domains-string', workflow: D, category: 'wrong-type', input: dict({ domains: 'hostile-1' }), field: 'domains', rule: /expected array/ },
  { id: 'd-domain-number', workflow: D, category: 'wrong-type', input: dict({ domains: ['hostile-1', 7] }), field: 'domains[1]', rule: /must be a domain name or \{ domain, region/ },
  { id: 'd-dry-run-string', workflow: D, category: 'wrong-type', input: dict({ dryRun: 'false' }), field: 'dryRun', rule: /expected boolean/ },
  { id: 'd-concurrency-string', workflow: D, category: 'wrong-type', input: dictPolicy({ maxConcurrency: '10' }), field: 'policy.maxConcurrency', rule: /expected number/ },
  { id: 'd-concurrency-nan', workflow: D, category: 'wrong-type', input: dictPolicy({ maxConcurrency: Number.NaN }), field: 'policy.maxConcurrency' },
  { id: 'd-concurrency-fraction', workflow: D, category: 'wrong-type', input: dictPolicy({ maxConcurrency: 2.5 }), field: 'policy.maxConcurrency', rule: /expected int/ },
  { id: 'd-concurrency-zero', workflow: D, category: 'wrong-type', input: dictPolicy({ maxConcurrency: 0 }), field: 'policy.maxConcurrency' },
  { id: 'd-poll-negative', workflow: D, category: 'wrong-type', input: dictPolicy({ pollIntervalSeconds: -1 }), field: 'policy.pollIntervalSeconds' },
  { id: 'd-source-null', workflow: D, category: 'wrong-type', input: dict({ source: null }), field: 'source', rule: /kind: 's3'/ },
  { id: 'd-package-type-lowercase', workflow: D, category: 'wrong-type', input: dict({ packageType: 'txt-dictionary' }), field: 'packageType', rule: /TXT-DICTIONARY/ },
  // ---- dictionaryRollout: missing fields -----------------------------------------------------
  { id: 'd-missing-package-name', workflow: D, category: 'missing-field', input: without(validInputs[D], 'packageName'), field: 'packageName' },
  { id: 'd-missing-source', workflow: D, category: 'missing-field', input: without(validInputs[D], 'source'), field: 'source' },
  { id: 'd-missing-staging', workflow: D, category: 'missing-field', input: without(validInputs[D], 'staging'), field: 'staging' },
  { id: 'd-missing-domains', workflow: D, category: 'missing-field', input: without(validInputs[D], 'domains'), field: 'domains' },
  { id: 'd-empty-domains', workflow: D, category: 'missing-field', input: dict({ domains: [] }), field: 'domains', rule: /at least 1 domain/ },
  { id: 'd-source-without-kind', workflow: D, category: 'missing-field', input: dictSource({ text: 'a, b' }), field: 'source.kind' },
  { id: 'd-s3-source-without-key', workflow: D, category: 'missing-field', input: dictSource({ kind: 's3', bucket: 'hostile-sources' }), field: 'source.key' },
  { id: 'd-staging-without-bucket', workflow: D, category: 'missing-field', input: dict({ staging: { prefix: 'x/' } }), field: 'staging.bucket' },
  { id: 'd-empty-inline-text', workflow: D, category: 'missing-field', input: dictSource({ kind: 'inline', text: '' }), field: 'source.text', rule: /empty/ },
  // ---- dictionaryRollout: oversized ----------------------------------------------------------
  { id: 'd-inline-over-32k', workflow: D, category: 'oversized', input: dictSource({ kind: 'inline', text: repeat('synonym, other\n', 2300) }), field: 'source.text', rule: /32768 bytes inline/ },
  { id: 'd-inline-multibyte-over-32k', workflow: D, category: 'oversized', input: dictSource({ kind: 'inline', text: repeat('€', 11_000) }), field: 'source.text', rule: /bytes inline/ },
  { id: 'd-1001-domains', workflow: D, category: 'oversized', input: dict({ domains: Array.from({ length: 1001 }, (_, i) => `d-${i}-x`) }), field: 'domains', rule: /at most 1000/ },
  { id: 'd-description-951', workflow: D, category: 'oversized', input: dict({ description: repeat('x', 951) }), field: 'description', rule: /at most 950/ },
  { id: 'd-package-name-257', workflow: D, category: 'oversized', input: dict({ packageName: `a${repeat('b', 256)}` }), field: 'packageName', rule: /3-256/ },
  { id: 'd-s3-key-over-1024-bytes', workflow: D, category: 'oversized', input: dictSource(s3(repeat('€', 400))), field: 'source.key', rule: /1024 bytes/ },
  { id: 'd-prefix-513', workflow: D, category: 'oversized', input: dict({ staging: { bucket: 'hostile-staging', prefix: repeat('p', 513) } }), field: 'staging.prefix' },
  { id: 'd-deadline-over-a-day', workflow: D, category: 'oversized', input: dictPolicy({ associationDeadlineSeconds: 86_401 }), field: 'policy.associationDeadlineSeconds' },
  { id: 'd-concurrency-101', workflow: D, category: 'oversized', input: dictPolicy({ maxConcurrency: 101 }), field: 'policy.maxConcurrency' },
  // ---- dictionaryRollout: AWS naming rules ---------------------------------------------------
  { id: 'd-package-name-uppercase', workflow: D, category: 'aws-name-rule', input: dict({ packageName: 'Synonyms-EN' }), field: 'packageName', rule: /AWS PackageName rule/ },
  { id: 'd-package-name-digit-first', workflow: D, category: 'aws-name-rule', input: dict({ packageName: '1synonyms' }), field: 'packageName', rule: /start with a-z/ },
  { id: 'd-package-name-too-short', workflow: D, category: 'aws-name-rule', input: dict({ packageName: 'ab' }), field: 'packageName', rule: /at least 3/ },
  { id: 'd-package-name-unicode-hyphen', workflow: D, category: 'aws-name-rule', input: dict({ packageName: 'synonyms\u2010en' }), field: 'packageName' },
  { id: 'd-domain-29-chars', workflow: D, category: 'aws-name-rule', input: dict({ domains: ['hostile-1', `a${repeat('b', 28)}`] }), field: 'domains[1]', rule: /AWS DomainName rule: 3-28/ },
  { id: 'd-domain-underscore', workflow: D, category: 'aws-name-rule', input: dict({ domains: ['my_domain'] }), field: 'domains[0]', rule: /AWS DomainName rule/ },
  { id: 'd-domain-trailing-newline', workflow: D, category: 'aws-name-rule', input: dict({ domains: ['hostile-1\n'] }), field: 'domains[0]' },
  { id: 'd-bucket-uppercase', workflow: D, category: 'aws-name-rule', input: dict({ staging: { bucket: 'Hostile-Staging' } }), field: 'staging.bucket', rule: /S3 bucket name rule/ },
  { id: 'd-bucket-double-dot', workflow: D, category: 'aws-name-rule', input: dict({ staging: { bucket: 'hostile..staging' } }), field: 'staging.bucket', rule: /adjacent periods/ },
  { id: 'd-source-bucket-too-short', workflow: D, category: 'aws-name-rule', input: dictSource({ kind: 's3', bucket: 'ab', key: 'x.txt' }), field: 'source.bucket', rule: /3-63/ },
  // ---- dictionaryRollout: path tricks in S3 keys and prefixes --------------------------------
  { id: 'd-key-dot-dot', workflow: D, category: 'path-trick', input: dictSource(s3('../secrets.txt')), field: 'source.key', rule: /'\.\.' path segments/ },
  { id: 'd-key-nested-dot-dot', workflow: D, category: 'path-trick', input: dictSource(s3('dictionaries/../../etc/passwd')), field: 'source.key', rule: /path segments/ },
  { id: 'd-key-absolute', workflow: D, category: 'path-trick', input: dictSource(s3('/etc/passwd')), field: 'source.key', rule: /must not start with '\/'/ },
  { id: 'd-key-dot-segment', workflow: D, category: 'path-trick', input: dictSource(s3('./synonyms.txt')), field: 'source.key' },
  { id: 'd-key-nul', workflow: D, category: 'path-trick', input: dictSource(s3('synonyms.txt\u0000.png')), field: 'source.key', rule: /control characters/ },
  { id: 'd-key-crlf-header-injection', workflow: D, category: 'injection', input: dictSource(s3('a.txt\r\nx-amz-acl: public-read')), field: 'source.key', rule: /control characters/ },
  { id: 'd-key-empty', workflow: D, category: 'path-trick', input: dictSource(s3('')), field: 'source.key', rule: /must not be empty/ },
  { id: 'd-prefix-dot-dot', workflow: D, category: 'path-trick', input: dict({ staging: { bucket: 'hostile-staging', prefix: '../escaped/' } }), field: 'staging.prefix' },
  { id: 'd-prefix-absolute', workflow: D, category: 'path-trick', input: dict({ staging: { bucket: 'hostile-staging', prefix: '/root/' } }), field: 'staging.prefix' },
  { id: 'd-prefix-control-char', workflow: D, category: 'path-trick', input: dict({ staging: { bucket: 'hostile-staging', prefix: 'a\tb/' } }), field: 'staging.prefix' },
  // ---- dictionaryRollout: URL tricks ---------------------------------------------------------
  { id: 'd-url-plain-http', workflow: D, category: 'url-trick', input: dictSource(url('http://example.com/synonyms.txt')), field: 'source.url', rule: /https:\/\// },
  { id: 'd-url-instance-metadata', workflow: D, category: 'url-trick', input: dictSource(url('http://169.254.169.254/latest/meta-data/iam/')), field: 'source.url' },
  { id: 'd-url-file-scheme', workflow: D, category: 'url-trick', input: dictSource(url('file:///etc/passwd')), field: 'source.url' },
  { id: 'd-url-credentials', workflow: D, category: 'url-trick', input: dictSource(url('https://user:hunter2@example.com/synonyms.txt')), field: 'source.url' },
  { id: 'd-url-javascript', workflow: D, category: 'url-trick', input: dictSource(url('javascript:alert(1)')), field: 'source.url' },
  { id: 'd-url-not-a-url', workflow: D, category: 'url-trick', input: dictSource(url('synonyms.txt')), field: 'source.url' },
  // ---- dictionaryRollout: duplicates, unknown references, conflicts, unknown fields ----------
  { id: 'd-duplicate-domain', workflow: D, category: 'duplicate', input: dict({ domains: ['hostile-1', 'hostile-2', 'hostile-1'] }), field: 'domains[2]', rule: /duplicate domain 'hostile-1'/ },
  { id: 'd-explicit-wave-unknown-domain', workflow: D, category: 'unknown-reference', input: dictPolicy({ waves: { strategy: 'explicit', waves: [['hostile-1'], ['hostile-2', 'hostile-9']] }, }), field: 'policy.waves.waves[1][1]', rule: /'hostile-9' is not in domains/ },
  { id: 'd-explicit-domain-in-two-waves', workflow: D, category: 'duplicate', input: dictPolicy({ waves: { strategy: 'explicit', waves: [['hostile-1', 'hostile-2'], ['hostile-2']] }, }), field: 'policy.waves.waves[1][0]', rule: /more than one wave/ },
  { id: 'd-explicit-missing-domain', workflow: D, category: 'conflicting-options', input: dictPolicy({ waves: { strategy: 'explicit', waves: [['hostile-1']] } }), field: 'policy.waves.waves', rule: /missing: hostile-2/ },
  { id: 'd-canary-covers-all', workflow: D, category: 'conflicting-options', input: dictPolicy({ waves: { strategy: 'sizes', canary: 2, sizes: [1] } }), field: 'policy.waves.canary', rule: /smaller than the number of domains/ },
  { id: 'd-percentages-decreasing', workflow: D, category: 'conflicting-options', input: dictPolicy({ waves: { strategy: 'percentages', percentages: [60, 30, 100] } }), field: 'policy.waves.percentages', rule: /strictly increasing/ },
  { id: 'd-percentages-not-100', workflow: D, category: 'conflicting-options', input: dictPolicy({ waves: { strategy: 'percentages', percentages: [50, 90] } }), field: 'policy.waves.percentages', rule: /must be 100/ },
  { id: 'd-source-two-kinds', workflow: D, category: 'conflicting-options', input: dictSource({ kind: 'inline', text: 'a, b', url: 'https://example.com/x' }), field: 'source', mentions: 'url' },
  { id: 'd-unknown-wave-strategy', workflow: D, category: 'wrong-type', input: dictPolicy({ waves: { strategy: 'random' } }), field: 'policy.waves.strategy' },
  { id: 'd-unknown-failure-policy', workflow: D, category: 'wrong-type', input: dictPolicy({ failurePolicy: 'ignore' }), field: 'policy.failurePolicy', rule: /halt, continue or rollback/ },
  { id: 'd-unknown-top-level-field', workflow: D, category: 'unknown-field', input: dict({ skipValidation: true }), field: '', mentions: 'skipValidation' },
  { id: 'd-proto-pollution', workflow: D, category: 'injection', input: JSON.parse(`{"__proto__": {"dryRun": true}, ${JSON.stringify(validInputs[D]).slice(1)}`) as unknown, field: '', mentions: '__proto__' },
  { id: 'd-unknown-policy-field', workflow: D, category: 'unknown-field', input: dictPolicy({ retries: 100 }), field: 'policy', mentions: 'retries' },

  // ---- packageRemoval ---------------------------------------------------------------------
  { id: 'r-neither-name-nor-id', workflow: R, category: 'missing-field', input: { domains: ['hostile-1'] }, field: 'packageName', rule: /exactly one of packageName or packageId/ },
  { id: 'r-name-and-id', workflow: R, category: 'conflicting-options', input: removal({ packageId: 'F123456789' }), field: 'packageName', rule: /exactly one/ },
  { id: 'r-package-id-bad', workflow: R, category: 'aws-name-rule', input: { packageId: 'X123' }, field: 'packageId', rule: /package id/ },
  { id: 'r-package-id-path-trick', workflow: R, category: 'path-trick', input: { packageId: '../F123' }, field: 'packageId' },
  { id: 'r-domains-every', workflow: R, category: 'wrong-type', input: removal({ domains: 'every' }), field: 'domains' },
  { id: 'r-duplicate-domains', workflow: R, category: 'duplicate', input: removal({ domains: ['hostile-1', 'hostile-1'] }), field: 'domains[1]', rule: /duplicate domain 'hostile-1'/ },
  { id: 'r-empty-domains', workflow: R, category: 'missing-field', input: removal({ domains: [] }), field: 'domains' },
  { id: 'r-domain-uppercase', workflow: R, category: 'aws-name-rule', input: removal({ domains: ['Hostile-1'] }), field: 'domains[0]' },
  { id: 'r-delete-package-string', workflow: R, category: 'wrong-type', input: removal({ deletePackage: 'yes' }), field: 'deletePackage', rule: /expected boolean/ },
  { id: 'r-concurrency-zero', workflow: R, category: 'wrong-type', input: removal({ maxConcurrency: 0 }), field: 'maxConcurrency' },
  { id: 'r-deadline-zero', workflow: R, category: 'wrong-type', input: removal({ dissociationDeadlineSeconds: 0 }), field: 'dissociationDeadlineSeconds' },
  { id: 'r-unknown-field-force', workflow: R, category: 'unknown-field', input: removal({ force: true }), field: '', mentions: 'force' },

  // ---- dataSourceAttachment ---------------------------------------------------------------
  { id: 'a-neither-id-nor-name', workflow: A, category: 'missing-field', input: { dataSourceArn: validInputs[A].dataSourceArn }, field: 'applicationId', rule: /exactly one of applicationId or applicationName/ },
  { id: 'a-id-and-name', workflow: A, category: 'conflicting-options', input: attach({ applicationId: 'abc123' }), field: 'applicationId', rule: /exactly one/ },
  { id: 'a-missing-arn', workflow: A, category: 'missing-field', input: { applicationName: 'hostile-app' }, field: 'dataSourceArn' },
  { id: 'a-arn-plain-name', workflow: A, category: 'wrong-type', input: attach({ dataSourceArn: 'hostile-1' }), field: 'dataSourceArn', rule: /domain ARN/ },
  { id: 'a-arn-wrong-service', workflow: A, category: 'unknown-reference', input: attach({ dataSourceArn: 'arn:aws:s3:::hostile-bucket' }), field: 'dataSourceArn' },
  { id: 'a-arn-path-trick', workflow: A, category: 'path-trick', input: attach({ dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/../admin' }), field: 'dataSourceArn' },
  { id: 'a-workspace-both', workflow: A, category: 'conflicting-options', input: attach({ workspaceId: 'ws-1', workspaceConfiguration: { name: 'Ops', workspaceType: 'SEARCH' } }), field: 'workspaceConfiguration', rule: /not both/ },
  { id: 'a-workspace-name-41', workflow: A, category: 'oversized', input: attach({ workspaceConfiguration: { name: repeat('w', 41), workspaceType: 'SEARCH' } }), field: 'workspaceConfiguration.name', rule: /1-40/ },
  { id: 'a-workspace-type-unknown', workflow: A, category: 'wrong-type', input: attach({ workspaceConfiguration: { name: 'Ops', workspaceType: 'DASHBOARD' } }), field: 'workspaceConfiguration.workspaceType' },
  { id: 'a-workspace-name-script', workflow: A, category: 'injection', input: attach({ workspaceConfiguration: { name: '<script>x</script>', workspaceType: 'SEARCH' } }), field: 'workspaceConfiguration.name' },
  { id: 'a-wait-over-24h', workflow: A, category: 'oversized', input: attach({ waitLimitSeconds: 86_401 }), field: 'waitLimitSeconds', rule: /24 hours/ },
  { id: 'a-poll-over-wait', workflow: A, category: 'conflicting-options', input: attach({ waitLimitSeconds: 10, pollIntervalSeconds: 60 }), field: 'pollIntervalSeconds', rule: /waitLimitSeconds/ },
  { id: 'a-application-id-uppercase', workflow: A, category: 'aws-name-rule', input: { applicationId: 'ABC', dataSourceArn: validInputs[A].dataSourceArn }, field: 'applicationId' },
  { id: 'a-workspace-id-spaces', workflow: A, category: 'injection', input: attach({ workspaceId: 'ws 1\n' }), field: 'workspaceId' },

  // ---- iotPackageRelease ------------------------------------------------------------------
  { id: 'i-package-name-space', workflow: I, category: 'aws-name-rule', input: iot({ packageName: 'my firmware' }), field: 'packageName', rule: /AWS IoT packageName rule/ },
  { id: 'i-package-name-129', workflow: I, category: 'oversized', input: iot({ packageName: repeat('f', 129) }), field: 'packageName', rule: /1-128/ },
  { id: 'i-version-slash', workflow: I, category: 'path-trick', input: iot({ versionName: '1.0/../2.0' }), field: 'versionName' },
  { id: 'i-version-empty', workflow: I, category: 'missing-field', input: iot({ versionName: '' }), field: 'versionName' },
  { id: 'i-version-65', workflow: I, category: 'oversized', input: iot({ versionName: repeat('1', 65) }), field: 'versionName', rule: /1-64/ },
  { id: 'i-description-newline', workflow: I, category: 'injection', input: iot({ description: 'line 1\nline 2' }), field: 'description' },
  { id: 'i-attribute-key-space', workflow: I, category: 'aws-name-rule', input: iot({ attributes: { 'bad key': 'x' } }), field: 'attributes.bad key' },
  { id: 'i-attributes-over-3kb', workflow: I, category: 'oversized', input: iot({ attributes: { blob: repeat('x', 3100) } }), field: 'attributes', rule: /3 KB/ },
  { id: 'i-attribute-empty-value', workflow: I, category: 'missing-field', input: iot({ attributes: { channel: '' } }), field: 'attributes.channel' },
  { id: 'i-tag-aws-prefix', workflow: I, category: 'aws-name-rule', input: iot({ tags: { 'aws:owner': 'me' } }), field: 'tags.aws:owner', rule: /reserved/ },
  { id: 'i-artifact-key-dot-dot', workflow: I, category: 'path-trick', input: iot({ artifact: { bucket: 'hostile-artifacts', key: '../firmware.bin' } }), field: 'artifact.key' },
  { id: 'i-artifact-bucket-uppercase', workflow: I, category: 'aws-name-rule', input: iot({ artifact: { bucket: 'Artifacts', key: 'fw.bin' } }), field: 'artifact.bucket' },
  { id: 'i-publish-unknown', workflow: I, category: 'wrong-type', input: iot({ publish: 'later' }), field: 'publish' },
  { id: 'i-default-but-draft', workflow: I, category: 'conflicting-options', input: iot({ publish: 'no', makeDefault: true }), field: 'makeDefault', rule: /DRAFT version cannot be the default/ },
  { id: 'i-deprecate-but-draft', workflow: I, category: 'conflicting-options', input: iot({ publish: 'no', deprecateOlder: { keepLast: 2 } }), field: 'deprecateOlder' },
  { id: 'i-keep-last-zero', workflow: I, category: 'wrong-type', input: iot({ deprecateOlder: { keepLast: 0 } }), field: 'deprecateOlder.keepLast' },
  // ---- dictionaryRollout: plugin types belong to the plugin rollout ---------------------------
  { id: 'd-package-type-zip-plugin', workflow: D, category: 'wrong-type', input: dict({ packageType: 'ZIP-PLUGIN' }), field: 'packageType', rule: /plugin rollout/ },
  { id: 'd-package-type-license', workflow: D, category: 'wrong-type', input: dict({ packageType: 'PACKAGE-LICENSE' }), field: 'packageType', rule: /plugin rollout/ },
  { id: 'd-package-type-config', workflow: D, category: 'wrong-type', input: dict({ packageType: 'PACKAGE-CONFIG' }), field: 'packageType', rule: /plugin rollout/ },
  // ---- pluginRollout ----------------------------------------------------------------------------
  { id: 'p-no-engine-version', workflow: P, category: 'missing-field', input: without(validInputs[P], 'engineVersion'), field: 'engineVersion', rule: /required to install a ZIP-PLUGIN/ },
  { id: 'p-engine-too-old', workflow: P, category: 'aws-name-rule', input: plugin({ engineVersion: 'OpenSearch_2.13' }), field: 'engineVersion', rule: /2\.15 or later/ },
  { id: 'p-engine-elasticsearch', workflow: P, category: 'aws-name-rule', input: plugin({ engineVersion: 'Elasticsearch_7.10' }), field: 'engineVersion', rule: /OpenSearch_X\.Y/ },
  { id: 'p-license-missing', workflow: P, category: 'missing-field', input: plugin({ bundle: { plugin: { ...validInputs[P].bundle.plugin, packageConfiguration: { licenseRequirement: 'REQUIRED' } } } }), field: 'bundle.license', rule: /requires a license/ },
  { id: 'p-config-missing', workflow: P, category: 'missing-field', input: plugin({ bundle: { plugin: { ...validInputs[P].bundle.plugin, packageConfiguration: { configurationRequirement: 'REQUIRED' } } } }), field: 'bundle.config', rule: /requires a configuration/ },
  { id: 'p-plugin-source-missing', workflow: P, category: 'missing-field', input: plugin({ bundle: { plugin: { packageName: 'hostile-plugin' } } }), field: 'bundle.plugin.source', rule: /required to install/ },
];

/**
 * Hostile dictionary CONTENT: passes the schema, reaches the stage activity (the only code that
 * reads the file) and must end there with InvalidSource naming `source`, before any mutating call.
 */
export interface HostileContent {
  id: string;
  /** The bytes served from S3 (source.kind 's3') or over HTTP (source.kind 'url'). */
  bytes: Buffer;
  via: 's3' | 'url';
  message: RegExp;
  /** For 'url': the HTTP status to answer with (default 200). */
  status?: number;
  /** For 'url': a Content-Length header to announce instead of the real one. */
  declaredLength?: number;
}

// prettier-ignore
export const hostileContents: HostileContent[] = [
  { id: 'png-image', via: 's3', bytes: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), message: /must be UTF-8 text/ },
  { id: 'latin-1-text', via: 's3', bytes: Buffer.from('caf\xe9, coffee\n', 'latin1'), message: /must be UTF-8 text/ },
  { id: 'utf-16-with-bom', via: 's3', bytes: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('car, auto\n', 'utf16le')]), message: /must be UTF-8 text/ },
  { id: 'nul-bytes-in-utf8', via: 's3', bytes: Buffer.from('car, auto\n\u0000\u0000evil\n', 'utf8'), message: /NUL bytes/ },
  { id: 'empty-object', via: 's3', bytes: Buffer.alloc(0), message: /the dictionary is empty/ },
  { id: 'truncated-utf8-sequence', via: 's3', bytes: Buffer.from([0x63, 0x61, 0x72, 0xe2, 0x82]), message: /must be UTF-8 text/ },
  { id: 'overlong-utf8-slash', via: 'url', bytes: Buffer.from([0x61, 0xc0, 0xaf, 0x62]), message: /must be UTF-8 text/ },
  { id: 'url-binary-gzip', via: 'url', bytes: Buffer.from('1f8b0800000000000003', 'hex'), message: /must be UTF-8 text/ },
  { id: 'url-404', via: 'url', bytes: Buffer.from('not found'), status: 404, message: /source\.url: server answered 404/ },
  { id: 'url-announces-over-100-mib', via: 'url', bytes: Buffer.from('a'), declaredLength: 100 * 1024 * 1024 + 1, message: /source\.url: larger than 104857600 bytes/ },
];
