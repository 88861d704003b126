import { z } from 'zod';
import { domainName, s3BucketName } from './aws-rules.js';
import { accountOfRole, awsRegion, iamRoleArn, placeKey, stsExternalId, type Place } from './place.js';

/**
 * Fleet targets (docs/fleets.md): a domain is a plain name, in the worker's own Region and account
 * as it always was, or `{ domain, region, roleArn?, externalId? }` in another Region and/or
 * account. Custom packages are per account and Region, so a fleet run keeps one package per place.
 *
 * What identifies a domain everywhere (state, waves, progress, results, verification endpoints,
 * explicit waves): its TARGET KEY. A plain name is its own key, so plain runs look exactly as
 * before; a placed domain's key is `<placeKey>:<domain>`, e.g. `eu-west-1:search-eu-1` or
 * `eu-west-1/210987654321:search-eu-1` (domain names cannot hold ':' or '/', so a key parses back).
 */
export const placedDomain = z
  .object({
    domain: domainName,
    region: awsRegion,
    /** Absent: the worker's own account in that Region. */
    roleArn: iamRoleArn.optional(),
    externalId: stsExternalId.optional(),
  })
  .strict()
  .refine((t) => t.externalId === undefined || t.roleArn !== undefined, {
    message: 'externalId is only used with roleArn',
    path: ['externalId'],
  });
export type PlacedDomain = z.infer<typeof placedDomain>;

/** A target as the inputs take it. */
export const domainTarget = z.union([domainName, placedDomain], {
  error: 'must be a domain name or { domain, region, roleArn?, externalId? }',
});
export type DomainTarget = z.infer<typeof domainTarget>;

/** A target key as written in explicit waves and verification endpoints: a plain name or `<place>:<domain>`. */
export const targetKeyString = z.union([
  domainName,
  z
    .string()
    .regex(
      /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}(\/\d{12})?:[a-z][a-z0-9-]{2,27}$/,
      "must be a domain name or '<region>[/<account>]:<domain>' (e.g. eu-west-1:search-eu-1)",
    ),
]);

/** The place key of the worker's own Region and account (plain names). */
export const DEFAULT_PLACE = 'default';

/** A target resolved: its key, domain name, and place (absent for a plain name). */
export interface ResolvedTarget {
  key: string;
  domain: string;
  place?: Place;
  /** placeKey(place), or DEFAULT_PLACE. */
  placeKey: string;
}

export function placeOf(target: DomainTarget): Place | undefined {
  if (typeof target === 'string') return undefined;
  return {
    region: target.region,
    ...(target.roleArn ? { roleArn: target.roleArn } : {}),
    ...(target.externalId ? { externalId: target.externalId } : {}),
  };
}

export function targetKey(target: DomainTarget): string {
  return typeof target === 'string' ? target : `${placeKey(placeOf(target))}:${target.domain}`;
}

export function resolveTarget(target: DomainTarget): ResolvedTarget {
  if (typeof target === 'string') return { key: target, domain: target, placeKey: DEFAULT_PLACE };
  const place = placeOf(target)!;
  return { key: targetKey(target), domain: target.domain, place, placeKey: placeKey(place) };
}

/** Whether any target names a place: only then does a run take the fleet path. */
export function isFleet(targets: readonly DomainTarget[] | 'all' | undefined): boolean {
  return Array.isArray(targets) && targets.some((t) => typeof t !== 'string');
}

/** The Region a target key is in ('default' for a plain name): what the `regions` order groups by. */
export function regionOfKey(key: string): string {
  const colon = key.indexOf(':');
  return colon < 0 ? DEFAULT_PLACE : (key.slice(0, colon).split('/')[0] ?? DEFAULT_PLACE);
}

/** What results and progress say about a place: its Region and account, never the external id. */
export const placeRef = z
  .object({
    key: z
      .string()
      .describe("the place key: '<region>' or '<region>/<account>'; 'default' = the worker's own"),
    region: z.string().optional().describe("absent for 'default' (the worker's own Region)"),
    account: z.string().optional().describe('the role account; absent = the worker’s own account'),
    roleArn: z.string().optional(),
  })
  .strict();
export type PlaceRef = z.infer<typeof placeRef>;

export function placeRefOf(place: Place | undefined): PlaceRef {
  if (!place) return { key: DEFAULT_PLACE };
  return {
    key: placeKey(place),
    region: place.region,
    ...(place.roleArn ? { account: accountOfRole(place.roleArn), roleArn: place.roleArn } : {}),
  };
}

/**
 * Checks a target list: the same domain may be in two places, not twice in one place; one place
 * key is one role (two roles of one account in one Region would be two routes to the same
 * packages). Issues name the field, e.g. `domains[3].region`.
 */
export function checkTargets(
  targets: readonly DomainTarget[],
  ctx: z.RefinementCtx,
  path: PropertyKey[],
): void {
  const seen = new Set<string>();
  const roles = new Map<string, string | undefined>();
  targets.forEach((t, i) => {
    const key = targetKey(t);
    if (seen.has(key))
      ctx.addIssue({
        code: 'custom',
        message:
          typeof t === 'string'
            ? `duplicate domain '${t}'`
            : `duplicate domain '${t.domain}' in ${placeKey(placeOf(t))} (a domain may be in two places, not twice in one)`,
        path: [...path, i],
      });
    seen.add(key);
    if (typeof t !== 'string') {
      const pk = placeKey(placeOf(t));
      const role = `${t.roleArn ?? ''}|${t.externalId ?? ''}`;
      if (roles.has(pk) && roles.get(pk) !== role)
        ctx.addIssue({
          code: 'custom',
          message: `${pk} is reached with another roleArn/externalId in an earlier target: one place, one role`,
          path: [...path, i, 'roleArn'],
        });
      else roles.set(pk, role);
    }
  });
}

/**
 * Staging buckets of other places (OpenSearch reads a package's file from a bucket in the
 * package's Region): keyed by Region, or by place key (`<region>/<account>`) where one account's
 * bucket differs; the more specific key wins.
 */
export const stagingBuckets = z
  .record(z.string().regex(/^[a-z0-9/-]+$/, 'must be a Region or <region>/<account>'), s3BucketName)
  .optional()
  .describe(
    "the staging bucket of each other place, keyed by Region (e.g. 'eu-west-1') or place key ('eu-west-1/210987654321'): the file is staged once in `bucket` and copied there (S3 CopyObject)",
  );

export function stagingBucketFor(
  staging: { bucket: string; buckets?: Record<string, string> | undefined },
  place: Place | undefined,
): string | undefined {
  if (!place) return staging.bucket;
  return staging.buckets?.[placeKey(place)] ?? staging.buckets?.[place.region];
}

/** Waves in Region order: a canary in the first Region, the rest of it, then one wave per Region. */
export const regionsWaveSpec = z
  .object({
    strategy: z.literal('regions'),
    canary: z.number().int().min(0).default(1),
    order: z
      .array(z.union([awsRegion, z.literal(DEFAULT_PLACE)]))
      .optional()
      .describe(
        "Regions in the order to roll out ('default' = the worker's own, for plain names); Regions not listed follow in the order of the domains",
      ),
  })
  .strict();

/** The `regions` plan over target keys: pure, shared by the workflow, dry-run and tests. */
export function planRegionWaves(
  keys: readonly string[],
  spec: { canary: number; order?: string[] | undefined },
) {
  const groups = new Map<string, string[]>();
  for (const r of spec.order ?? []) groups.set(r, []);
  for (const k of keys) {
    const r = regionOfKey(k);
    if (!groups.has(r)) groups.set(r, []);
    groups.get(r)!.push(k);
  }
  const waves: string[][] = [];
  let first = true;
  for (const list of groups.values()) {
    if (list.length === 0) continue;
    if (first && spec.canary > 0 && list.length > spec.canary) {
      waves.push(list.slice(0, spec.canary));
      waves.push(list.slice(spec.canary));
    } else waves.push([...list]);
    first = false;
  }
  return waves;
}
