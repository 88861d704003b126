import { z } from 'zod';
import { callPriority } from './call-priority.js';
import { bakeSeconds, healthGates, notificationsInput } from './health-gates.js';
import {
  COMMIT_MESSAGE_MAX,
  opensearchPackageName,
  PACKAGE_DESCRIPTION_MAX,
  s3BucketName,
  s3Key,
  s3Prefix,
  utf8Length,
} from './aws-rules.js';
import { preflightInput, verificationInput } from './verification.js';
import {
  checkTargets,
  domainTarget,
  isFleet,
  planRegionWaves,
  regionsWaveSpec,
  resolveTarget,
  stagingBucketFor,
  stagingBuckets,
  targetKey,
  targetKeyString,
} from './fleet.js';

/** Inline dictionaries travel in the workflow input (and so in history): keep them small. */
export const INLINE_TEXT_MAX_BYTES = 32 * 1024;
/** Upper bound for any dictionary the stage activity accepts (S3 or URL source). */
export const DICTIONARY_MAX_BYTES = 100 * 1024 * 1024;

/** The content-addressed S3 key a dictionary is staged under: same content, same key. */
export function stagedKey(prefix: string, sha256: string, packageType: string): string {
  return `${prefix}${sha256}${packageType === 'TXT-DICTIONARY' ? '.txt' : '.zip'}`;
}
export const MAX_DOMAINS = 1000;
const DICTIONARY_TYPE_ONLY =
  'must be TXT-DICTIONARY: a dictionary rollout takes dictionaries only; ZIP-PLUGIN, PACKAGE-LICENSE and ' +
  'PACKAGE-CONFIG packages go through the plugin rollout (workflow type pluginRollout, `rollouts plugin`)';
/** Room kept in PackageDescription for the content marker ` [sha256:<64 hex>]`. */
export const CONTENT_MARKER_LENGTH = ' [sha256:]'.length + 64;

export const dictionarySource = z.discriminatedUnion(
  'kind',
  [
    z.object({ kind: z.literal('s3'), bucket: s3BucketName, key: s3Key }).strict(),
    z
      .object({
        kind: z.literal('url'),
        url: z
          .string()
          .refine(isAllowedUrl, 'must be an https:// URL (http:// only for localhost / 127.0.0.1)'),
      })
      .strict(),
    z
      .object({
        kind: z.literal('inline'),
        text: z
          .string()
          .min(1, 'must not be empty')
          // For JSON Schema, which counts characters: more characters than bytes allowed is surely too many.
          .meta({ maxLength: INLINE_TEXT_MAX_BYTES })
          .refine(
            (t) => utf8Length(t) <= INLINE_TEXT_MAX_BYTES,
            `must be at most ${INLINE_TEXT_MAX_BYTES} bytes inline; stage larger files in S3 or give a URL`,
          ),
      })
      .strict(),
  ],
  { error: "must be { kind: 's3', bucket, key }, { kind: 'url', url } or { kind: 'inline', text }" },
);
export type DictionarySource = z.infer<typeof dictionarySource>;

function isAllowedUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false; // credentials never belong in workflow input
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

export const waveSpec = z.discriminatedUnion(
  'strategy',
  [
    /** A canary wave, then waves of the given sizes; the last size repeats until all are covered. */
    z
      .object({
        strategy: z.literal('sizes'),
        canary: z.number().int().min(0).default(1),
        sizes: z
          .array(z.number().int().min(1, 'wave sizes must be >= 1'))
          .min(1, 'needs at least one size')
          .default([MAX_DOMAINS]),
      })
      .strict(),
    /** A canary wave, then waves ending at these cumulative percentages of all domains; last is 100. */
    z
      .object({
        strategy: z.literal('percentages'),
        canary: z.number().int().min(0).default(1),
        percentages: z
          .array(z.number().gt(0).max(100))
          .min(1, 'needs at least one percentage')
          .refine((p) => p.every((v, i) => i === 0 || v > (p[i - 1] ?? 0)), 'must be strictly increasing')
          .refine((p) => p[p.length - 1] === 100, 'the last percentage must be 100'),
      })
      .strict(),
    /** Explicit lists: every target domain in exactly one wave. */
    z
      .object({
        strategy: z.literal('explicit'),
        waves: z
          .array(z.array(targetKeyString).min(1, 'a wave must not be empty'))
          .min(1, 'needs at least one wave'),
      })
      .strict(),
    /** Fleets: a canary in the first Region, then Region by Region (docs/fleets.md). */
    regionsWaveSpec,
  ],
  { error: "must have strategy 'sizes', 'percentages', 'explicit' or 'regions'" },
);
export type WaveSpec = z.infer<typeof waveSpec>;

export const failurePolicies = ['halt', 'continue', 'rollback'] as const;

export const rolloutPolicy = z
  .object({
    maxConcurrency: z.number().int().min(1).max(100).default(10),
    waves: waveSpec.default({ strategy: 'sizes', canary: 1, sizes: [MAX_DOMAINS] }),
    pauseBetweenWavesSeconds: z
      .number()
      .min(0)
      .max(7 * 24 * 3600)
      .default(0),
    approvalBetweenWaves: z.boolean().default(false),
    failurePolicy: z.enum(failurePolicies, { error: 'must be halt, continue or rollback' }).default('halt'),
    /** AWS reports 2 to 10+ minutes per association; 45 minutes leaves room for slow domains. */
    associationDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(45 * 60),
    pollIntervalSeconds: z.number().min(0.05).max(600).default(15),
    /** Health gates (docs/health-gates.md): watched after each wave, for bakeSeconds. */
    bakeSeconds,
    gates: healthGates.optional(),
  })
  .strict();
export type RolloutPolicy = z.infer<typeof rolloutPolicy>;

export const dictionaryRolloutInput = z
  .object({
    packageName: opensearchPackageName,
    /**
     * TXT-DICTIONARY only. A plugin (ZIP-PLUGIN, with its PACKAGE-LICENSE / PACKAGE-CONFIG) is a
     * blue/green deployment of the domain, not a dictionary: it goes through pluginRollout.
     */
    packageType: z.literal('TXT-DICTIONARY', { error: DICTIONARY_TYPE_ONLY }).default('TXT-DICTIONARY'),
    description: z
      .string()
      .max(
        PACKAGE_DESCRIPTION_MAX - CONTENT_MARKER_LENGTH,
        `must be at most ${PACKAGE_DESCRIPTION_MAX - CONTENT_MARKER_LENGTH} characters (AWS allows 1024; the rest holds the content hash)`,
      )
      .default(''),
    source: dictionarySource,
    staging: z
      .object({
        bucket: s3BucketName,
        prefix: s3Prefix.default('package-rollouts/'),
        buckets: stagingBuckets,
      })
      .strict(),
    /** Plain names (the worker's own Region and account) or `{ domain, region, roleArn? }` (fleets). */
    domains: z
      .array(domainTarget)
      .min(1, 'needs at least 1 domain')
      .max(MAX_DOMAINS, `must list at most ${MAX_DOMAINS} domains`)
      .superRefine((domains, ctx) => checkTargets(domains, ctx, []))
      .meta({ uniqueItems: true }),
    policy: rolloutPolicy.default(rolloutPolicy.parse({})),
    dryRun: z.boolean().default(false),
    preflight: preflightInput.optional(),
    verification: verificationInput.optional(),
    priority: callPriority.default(callPriority.parse({})),
    notifications: notificationsInput.optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const keys = input.domains.map(targetKey);
    checkFleetInput(input, ctx);
    for (const d of Object.keys(input.verification?.endpoints ?? {}))
      if (!keys.includes(d))
        ctx.addIssue({
          code: 'custom',
          message: `'${d}' is not in domains`,
          path: ['verification', 'endpoints', d],
        });
    const spec = input.policy.waves;
    if (spec.strategy === 'explicit') {
      const targets = new Set(keys);
      const seen = new Set<string>();
      spec.waves.forEach((wave, w) =>
        wave.forEach((d, i) => {
          if (!targets.has(d))
            ctx.addIssue({
              code: 'custom',
              message: `'${d}' is not in domains`,
              path: ['policy', 'waves', 'waves', w, i],
            });
          if (seen.has(d))
            ctx.addIssue({
              code: 'custom',
              message: `'${d}' is in more than one wave`,
              path: ['policy', 'waves', 'waves', w, i],
            });
          seen.add(d);
        }),
      );
      const missing = keys.filter((d) => !seen.has(d));
      if (missing.length > 0)
        ctx.addIssue({
          code: 'custom',
          message: `every domain must be in a wave; missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
          path: ['policy', 'waves', 'waves'],
        });
    } else if (spec.canary >= input.domains.length && input.domains.length > 1) {
      ctx.addIssue({
        code: 'custom',
        message: `canary (${spec.canary}) must be smaller than the number of domains (${input.domains.length})`,
        path: ['policy', 'waves', 'canary'],
      });
    }
  });
/** What callers send (defaults optional). */
export type DictionaryRolloutInput = z.input<typeof dictionaryRolloutInput>;
/** What the workflow works with (defaults filled in). */
export type DictionaryRolloutParams = z.output<typeof dictionaryRolloutInput>;

/** Fleet rule: a staging bucket for every other place. */
function checkFleetInput(
  input: {
    domains: z.output<typeof domainTarget>[];
    staging: { bucket: string; buckets?: Record<string, string> | undefined };
  },
  ctx: z.RefinementCtx,
): void {
  if (!isFleet(input.domains)) return;
  const missing = new Set<string>();
  input.domains.forEach((t, i) => {
    const { place, placeKey } = resolveTarget(t);
    if (place && !stagingBucketFor(input.staging, place) && !missing.has(placeKey)) {
      missing.add(placeKey);
      ctx.addIssue({
        code: 'custom',
        message: `no staging bucket for ${placeKey}: give staging.buckets['${place.region}'] (a bucket in that Region the place can read)`,
        path: ['domains', i, 'region'],
      });
    }
  });
}

/** Split domains (target keys) into waves. Pure and deterministic: the workflow, dry-run and tests share it. */
export function planWaves(domains: readonly string[], spec: WaveSpec): string[][] {
  if (spec.strategy === 'explicit') return spec.waves.map((w) => [...w]);
  if (spec.strategy === 'regions') return planRegionWaves(domains, spec);
  const waves: string[][] = [];
  let next = 0;
  const take = (n: number) => {
    const size = Math.min(Math.max(n, 0), domains.length - next);
    if (size > 0) waves.push(domains.slice(next, next + size));
    next += size;
  };
  take(domains.length > 1 ? spec.canary : 0);
  if (spec.strategy === 'sizes') {
    let i = 0;
    while (next < domains.length) {
      take(spec.sizes[Math.min(i, spec.sizes.length - 1)] ?? domains.length);
      i++;
    }
  } else {
    for (const pct of spec.percentages) {
      const end = Math.max(next, Math.ceil((domains.length * pct) / 100));
      take(end - next);
    }
    take(domains.length - next);
  }
  return waves;
}

/** The content marker kept in PackageDescription / CommitMessage, how unchanged content is detected. */
function contentMarker(sha256: string): string {
  return `[sha256:${sha256}]`;
}
export function markerIn(text: string | undefined): string | undefined {
  return text ? /\[sha256:([0-9a-f]{64})\]/.exec(text)?.[1] : undefined;
}
export function describeWithMarker(description: string, sha256: string): string {
  return description ? `${description} ${contentMarker(sha256)}` : contentMarker(sha256);
}
export function commitMessageFor(sha256: string): string {
  return `package-rollouts ${contentMarker(sha256)}`.slice(0, COMMIT_MESSAGE_MAX);
}

// Progress, plan and result shapes live in dictionary-rollout-result.ts (one file each to read whole).
export * from './dictionary-rollout-result.js';

/** One rollout per package at a time: the id derives from the package name. */
export function dictionaryRolloutWorkflowId(packageName: string): string {
  return `dictionary-rollout/${packageName}`;
}
