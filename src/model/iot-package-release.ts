/**
 * The IoT package release contract: its input schema with AWS IoT's rules, the content comparison
 * that decides unchanged vs IotVersionConflict, and its progress and result shapes. Over 400 lines
 * because the AWS rules (names, attributes, 3 KB limit) are spelled out next to the fields they
 * govern.
 */
import { z } from 'zod';
import { callPriority } from './call-priority.js';
import { notificationReport, notificationsInput } from './health-gates.js';
import {
  IOT_ATTRIBUTE_KEY,
  IOT_ATTRIBUTES_MAX_BYTES,
  iotPackageName,
  iotVersionName,
  PACKAGE_DESCRIPTION_MAX,
  s3BucketName,
  s3Key,
  utf8Length,
} from './aws-rules.js';
import { epochMs, failureSummary } from './failures.js';

/**
 * An IoT software package release: ensure the package, create a version (DRAFT), optionally wait
 * for approval, publish it, make it the package's default and deprecate older published versions.
 *
 * Re-running a release for a version that exists compares its content (description, attributes,
 * artifact; see `versionContentDifferences`): equal content is a success that changes only what
 * is still missing, different content is an IotVersionConflict failure and changes nothing.
 */

// AWS IoT ResourceDescription / ResourceAttributeValue patterns: no Unicode "other" characters
// (controls, format characters, private use, unassigned), so no newlines either.
const NO_OTHER_CHARACTERS = /^[^\p{C}]*$/u;

/**
 * How the 3 KB attribute limit is counted: the UTF-8 bytes of every key plus every value. AWS
 * documents only "the combined size of all the attributes is limited to 3KB"; counting keys too
 * is the strict reading (and what the emulator enforces), so anything accepted here fits AWS.
 */
export function attributesByteSize(attributes: Record<string, string>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(attributes)) bytes += utf8Length(key) + utf8Length(value);
  return bytes;
}

/**
 * A `__proto__` key (JSON.parse makes it an own property) would pass a record schema and then be
 * dropped from the parsed object without a word: refuse it, naming the key, before the record
 * schema sees the input. (Outside `.default()`, so the JSON Schema keeps the default.)
 */
function refusingProtoKey<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (value !== null && typeof value === 'object' && Object.hasOwn(value, '__proto__'))
      ctx.issues.push({
        code: 'custom',
        path: ['__proto__'],
        message: "key '__proto__' is not allowed (it would be dropped silently)",
        input: value,
      });
    return value;
  }, schema);
}

export const iotAttributes = z.record(z.string(), z.string()).superRefine((attributes, ctx) => {
  for (const [key, value] of Object.entries(attributes)) {
    if (!IOT_ATTRIBUTE_KEY.test(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: "key must be 1+ characters of a-z, A-Z, 0-9, ':', '_' and '-' (AWS IoT attribute key rule)",
      });
    if (value.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'value must not be empty (AWS IoT attribute rule)',
      });
    else if (!NO_OTHER_CHARACTERS.test(value))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'value must not contain control or format characters (AWS IoT attribute rule [^\\p{C}]+)',
      });
  }
  const bytes = attributesByteSize(attributes);
  if (bytes > IOT_ATTRIBUTES_MAX_BYTES)
    ctx.addIssue({
      code: 'custom',
      message: `all attributes together are ${bytes} bytes (UTF-8 of every key and value); AWS IoT allows ${IOT_ATTRIBUTES_MAX_BYTES} (3 KB)`,
    });
});

const iotDescription = z
  .string()
  .max(
    PACKAGE_DESCRIPTION_MAX,
    `must be at most ${PACKAGE_DESCRIPTION_MAX} characters (AWS IoT description rule)`,
  )
  .regex(
    NO_OTHER_CHARACTERS,
    'must not contain control or format characters, newlines included (AWS IoT description rule)',
  );

export const IOT_TAGS_MAX = 50;
export const iotTags = z.record(z.string(), z.string()).superRefine((tags, ctx) => {
  const entries = Object.entries(tags);
  if (entries.length > IOT_TAGS_MAX)
    ctx.addIssue({ code: 'custom', message: `must have at most ${IOT_TAGS_MAX} tags (AWS tag rule)` });
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128)
      ctx.addIssue({ code: 'custom', path: [key], message: 'key must be 1-128 characters (AWS tag rule)' });
    else if (key.toLowerCase().startsWith('aws:'))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: "key must not start with 'aws:' (reserved by AWS)",
      });
    if (value.length > 256)
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'value must be at most 256 characters (AWS tag rule)',
      });
  }
});

export const iotArtifact = z
  .object({
    bucket: s3BucketName,
    key: s3Key,
    /** The S3 object version, when the bucket is versioned. */
    version: z.string().min(1).max(1024).optional(),
  })
  .strict();
export type IotArtifact = z.infer<typeof iotArtifact>;

export const iotPublishModes = ['now', 'after-approval', 'no'] as const;
export type IotPublishMode = (typeof iotPublishModes)[number];

export const iotPackageReleaseInput = z
  .object({
    packageName: iotPackageName,
    versionName: iotVersionName,
    /** The version's description; compared on re-runs ('' and absent are the same). */
    description: iotDescription.default(''),
    /** Used only when this release creates the package. */
    packageDescription: iotDescription.optional(),
    attributes: refusingProtoKey(iotAttributes.default({})),
    /** Tags of the version, and of the package when this release creates it. Not compared on re-runs (AWS does not return them). */
    tags: refusingProtoKey(iotTags.default({})),
    artifact: iotArtifact.optional(),
    publish: z.enum(iotPublishModes, { error: "must be 'now', 'after-approval' or 'no'" }).default('now'),
    /** Default: true when the version is published, false with publish 'no'. */
    makeDefault: z.boolean().optional(),
    /** Keep this version and the K-1 newest older PUBLISHED versions; deprecate the older rest. */
    deprecateOlder: z
      .union(
        [
          z.literal('off'),
          z
            .object({
              keepLast: z
                .number()
                .int('must be a whole number')
                .min(1, 'must be at least 1 (this version counts as one)')
                .max(1000, 'must be at most 1000'),
            })
            .strict(),
        ],
        {
          error: "must be 'off' or { keepLast: K } with K >= 1",
        },
      )
      .default('off'),
    /** Webhook events (docs/health-gates.md): started and finished. */
    notifications: notificationsInput.optional(),
    /** Task queue priority of the run's AWS calls (call-priority.ts). */
    priority: callPriority.default(callPriority.parse({})),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.publish === 'no' && input.makeDefault === true)
      ctx.addIssue({
        code: 'custom',
        path: ['makeDefault'],
        message: "a DRAFT version cannot be the default version: use publish 'now' or 'after-approval'",
      });
    if (input.publish === 'no' && input.deprecateOlder !== 'off')
      ctx.addIssue({
        code: 'custom',
        path: ['deprecateOlder'],
        message: "deprecating older versions needs this one published: use publish 'now' or 'after-approval'",
      });
  })
  .transform((input) => ({ ...input, makeDefault: input.makeDefault ?? input.publish !== 'no' }));
/** What callers send (defaults optional). */
export type IotPackageReleaseInput = z.input<typeof iotPackageReleaseInput>;
/** What the workflow works with (defaults filled in). */
export type IotPackageReleaseParams = z.output<typeof iotPackageReleaseInput>;

/** One release per package version at a time: the id derives from both names ('/' is in neither). */
export function iotPackageReleaseWorkflowId(packageName: string, versionName: string): string {
  return `iot-package-release/${packageName}/${versionName}`;
}

/** The argument of the `approve` update and signal (it may be omitted). */
export const iotApproveArgs = z
  .object({
    approvedBy: z.string().max(256).optional().describe('who approved, for the record (result and Web UI)'),
  })
  .strict();
export type IotApproveArgs = z.input<typeof iotApproveArgs>;
export const iotApproval = z.object({
  approvedBy: z.string().optional(),
  approvedAt: epochMs,
});
export type IotApproval = z.infer<typeof iotApproval>;

// ---- content comparison -------------------------------------------------------------------

export const iotVersionStatus = z.enum(['DRAFT', 'PUBLISHED', 'DEPRECATED']);
export type IotVersionStatus = z.infer<typeof iotVersionStatus>;

/** What a release puts into a version and compares on re-runs. */
export interface IotVersionContent {
  description: string;
  attributes: Record<string, string>;
  artifact?: IotArtifact;
}

export interface IotVersionDifference {
  field: string;
  existing: string;
  requested: string;
}

/** Empty when the version in AWS has the requested content. Order is stable (for messages). */
export function versionContentDifferences(
  requested: IotVersionContent,
  existing: IotVersionContent,
): IotVersionDifference[] {
  const out: IotVersionDifference[] = [];
  if ((requested.description ?? '') !== (existing.description ?? ''))
    out.push({ field: 'description', existing: existing.description, requested: requested.description });
  const keys = [
    ...new Set([...Object.keys(requested.attributes), ...Object.keys(existing.attributes)]),
  ].sort();
  for (const key of keys) {
    const want = requested.attributes[key];
    const have = existing.attributes[key];
    if (want !== have)
      out.push({ field: `attributes.${key}`, existing: have ?? '(absent)', requested: want ?? '(absent)' });
  }
  const where = (a?: IotArtifact) =>
    a ? `s3://${a.bucket}/${a.key}${a.version !== undefined ? `?versionId=${a.version}` : ''}` : '(none)';
  if (where(requested.artifact) !== where(existing.artifact))
    out.push({ field: 'artifact', existing: where(existing.artifact), requested: where(requested.artifact) });
  return out;
}

/** A version as GetPackageVersion / CreatePackageVersion describe it. */
export interface IotVersionInfo extends IotVersionContent {
  packageName: string;
  versionName: string;
  status: IotVersionStatus;
  packageVersionArn?: string;
  /** ms since the epoch; 0 when AWS did not say (CreatePackageVersion does not). */
  creationDate: number;
}

export interface IotPackageInfo {
  packageName: string;
  packageArn?: string;
  defaultVersionName?: string;
}

// ---- client tokens ------------------------------------------------------------------------

/**
 * The clientToken of one mutating step of one run: `rel-` + 44 hex characters of
 * SHA-256(workflowId, runId, step), 48 characters in all (AWS wants 36-64 non-space characters).
 * The same on every activity retry and on replay, so a retried call whose first answer was lost
 * is recognised by AWS. The run id is part of it so that a later run (a re-run after the version
 * was deleted by hand, a reset) never receives a stale cached answer for a call it really needs:
 * later runs read first (GetPackageVersion) and treat "already exists" by comparing content.
 */
export function releaseClientToken(workflowId: string, runId: string, step: string): string {
  return `rel-${sha256Hex(`${workflowId}\n${runId}\n${step}`).slice(0, 44)}`;
}

/** Plain SHA-256 (FIPS 180-4): node:crypto is not available in the workflow sandbox. */
export function sha256Hex(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const bitLength = bytes.length * 8;
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLength / 0x100000000));
  view.setUint32(padded.length - 4, bitLength >>> 0);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(offset + i * 4);
    for (let i = 16; i < 64; i++) {
      const w15 = w[i - 15]!;
      const w2 = w[i - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h as [number, number, number, number, number, number, number, number];
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  return h.map((x) => x.toString(16).padStart(8, '0')).join('');
}

const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
];

// ---- deprecation plan ---------------------------------------------------------------------

export interface IotVersionSummary {
  versionName: string;
  status: IotVersionStatus;
  /** ms since the epoch; 0 when AWS did not say. */
  creationDate: number;
}

/**
 * Which PUBLISHED versions to deprecate so that this version and the keepLast-1 newest older
 * PUBLISHED versions stay published. Only versions created before this one are touched (a newer
 * release owns the ones after it), and never the package's default version (devices resolve it).
 * Equal creation dates fall back on the order AWS listed them in (oldest first).
 */
export function versionsToDeprecate(
  listed: readonly IotVersionSummary[],
  release: { versionName: string; creationDate: number },
  keepLast: number,
  defaultVersionName: string | undefined,
): string[] {
  return relativeTo(listed, release)
    .filter((v) => v.relation === 'older')
    .sort((a, b) => b.creationDate - a.creationDate || b.index - a.index)
    .slice(Math.max(keepLast - 1, 0))
    .filter((v) => v.versionName !== defaultVersionName)
    .map((v) => v.versionName);
}

/** Published versions created after this one: a re-run of an older release leaves the default to them. */
export function newerPublished(
  listed: readonly IotVersionSummary[],
  release: { versionName: string; creationDate: number },
): string[] {
  return relativeTo(listed, release)
    .filter((v) => v.relation === 'newer')
    .map((v) => v.versionName);
}

function relativeTo(
  listed: readonly IotVersionSummary[],
  release: { versionName: string; creationDate: number },
): Array<IotVersionSummary & { index: number; relation: 'older' | 'newer' }> {
  const own = listed.findIndex((v) => v.versionName === release.versionName);
  return listed.flatMap((v, index) => {
    if (v.status !== 'PUBLISHED' || v.versionName === release.versionName) return [];
    const older =
      v.creationDate < release.creationDate ||
      (v.creationDate === release.creationDate && (own < 0 || index < own));
    return [{ ...v, index, relation: older ? ('older' as const) : ('newer' as const) }];
  });
}

// ---- progress and result ------------------------------------------------------------------

export const iotReleasePhase = z.enum([
  'validating',
  'ensuring-package',
  'creating-version',
  'waiting-for-approval',
  'publishing',
  'setting-default',
  'deprecating',
  'done',
  'failed',
]);
export type IotReleasePhase = z.infer<typeof iotReleasePhase>;

export const iotReleaseSteps = z.object({
  package: z.enum(['created', 'existed', 'pending']),
  version: z.enum(['created', 'existed', 'pending']),
  publish: z.enum(['published', 'already-published', 'not-requested', 'skipped-deprecated', 'pending']),
  default: z.enum([
    'set',
    'already-default',
    'not-requested',
    'left-to-newer-version',
    'skipped-deprecated',
    'pending',
  ]),
  deprecated: z.array(z.string()).describe('versions this run deprecated'),
});
export type IotReleaseSteps = z.infer<typeof iotReleaseSteps>;

export const iotPackageReleaseProgress = z.object({
  phase: iotReleasePhase,
  packageName: z.string(),
  versionName: z.string(),
  publish: z.enum(iotPublishModes),
  versionStatus: iotVersionStatus.optional(),
  awaitingApproval: z.boolean(),
  approval: iotApproval.optional(),
  steps: iotReleaseSteps,
  error: failureSummary.optional(),
});
export type IotPackageReleaseProgress = z.infer<typeof iotPackageReleaseProgress>;

export const iotPackageReleaseResult = z.object({
  outcome: z
    .enum(['changed', 'unchanged'])
    .describe('changed: this run made at least one change in AWS; unchanged: every step was already done'),
  packageName: z.string(),
  versionName: z.string(),
  packageVersionArn: z.string().optional(),
  versionStatus: iotVersionStatus,
  defaultVersionName: z.string().optional(),
  steps: iotReleaseSteps,
  approval: iotApproval.optional(),
  notes: z.array(z.string()),
  startedAt: epochMs,
  finishedAt: epochMs,
  notifications: notificationReport.optional().describe('notifications sent, and those not delivered'),
});
export type IotPackageReleaseResult = z.infer<typeof iotPackageReleaseResult>;
