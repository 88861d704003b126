/**
 * Fleet flags (docs/fleets.md): `--domains eu-west-1:search-eu-1,search-2` (a Region before the
 * colon places a domain; a plain name stays in the worker's own Region), `--role
 * eu-west-1=arn:aws:iam::...:role/x` (the role for every domain of that Region, repeatable),
 * `--staging-bucket-for eu-west-1=bucket` and `--domains-file` with one target per line, a CSV
 * with the columns domain,region,roleArn,externalId, or a JSON array of targets. The zod schema
 * checks the result and names the field; these only turn text into the input's shape.
 */
import { readFileSync } from 'node:fs';
import type { Options } from './args.js';
import { UsageError } from './errors.js';

export const FLEET_OPTIONS: Options = {
  role: {
    type: 'string',
    multiple: true,
    arg: 'region=roleArn',
    help: 'fleets: the IAM role to assume for the domains of a Region (repeat per Region)',
    field: 'domains',
  },
  'external-id': {
    type: 'string',
    multiple: true,
    arg: 'region=id',
    help: 'fleets: the external id the role of that Region requires',
    field: 'domains',
  },
};

export const STAGING_FOR_OPTION: Options = {
  'staging-bucket-for': {
    type: 'string',
    multiple: true,
    arg: 'region=bucket',
    help: 'fleets: the staging bucket of another Region (the file is copied there; repeat per Region)',
    field: 'staging.buckets',
  },
  'regions-order': {
    type: 'string',
    arg: 'r1,r2,...',
    help: "fleets: waves Region by Region in this order, a canary first ('default' = plain names)",
    field: 'policy.waves.order',
  },
};

export type TargetInput = string | { domain: string; region: string; roleArn?: string; externalId?: string };

/** `region=value` pairs of a repeatable flag. */
export function pairs(values: unknown, flag: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of (values as string[] | undefined) ?? []) {
    const eq = raw.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} takes region=value, got '${raw}'`);
    out.set(raw.slice(0, eq).trim(), raw.slice(eq + 1).trim());
  }
  return out;
}

/** One entry of --domains / a plain domains file: `name` or `region:name`. */
export function parseTarget(entry: string): TargetInput {
  const colon = entry.indexOf(':');
  if (colon < 0) return entry;
  return { domain: entry.slice(colon + 1).trim(), region: entry.slice(0, colon).trim() };
}

/** Adds each Region's --role / --external-id to its targets (a target's own role wins). */
export function withRoles(
  targets: TargetInput[],
  roles: Map<string, string>,
  externalIds: Map<string, string>,
): TargetInput[] {
  for (const region of [...roles.keys(), ...externalIds.keys()])
    if (!targets.some((t) => typeof t !== 'string' && t.region === region))
      throw new UsageError(`--role / --external-id for ${region}: no domain is in that Region`);
  return targets.map((t) => {
    if (typeof t === 'string') return t;
    const roleArn = t.roleArn ?? roles.get(t.region);
    const externalId = t.externalId ?? externalIds.get(t.region);
    return { ...t, ...(roleArn ? { roleArn } : {}), ...(externalId ? { externalId } : {}) };
  });
}

/**
 * `--places r1,r2` of a removal over every associated domain: the places to remove from too, each
 * with its Region's --role / --external-id (a role for a Region not listed is refused).
 */
export function placesFromFlag(
  regions: string[],
  roles: Map<string, string>,
  externalIds: Map<string, string>,
): Array<{ region: string; roleArn?: string; externalId?: string }> {
  for (const region of [...roles.keys(), ...externalIds.keys()])
    if (!regions.includes(region))
      throw new UsageError(`--role / --external-id for ${region}: that Region is not in --places`);
  return regions.map((region) => ({
    region,
    ...(roles.has(region) ? { roleArn: roles.get(region)! } : {}),
    ...(externalIds.has(region) ? { externalId: externalIds.get(region)! } : {}),
  }));
}

/** A domains file: JSON (an array of targets), CSV with a header naming `domain`, or one per line. */
export function readTargetsFile(path: string, what: string): TargetInput[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `cannot read ${what} '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (/^\s*\[/.test(text)) {
    try {
      return JSON.parse(text) as TargetInput[];
    } catch (err) {
      throw new UsageError(`${what} '${path}' is not valid JSON: ${(err as Error).message}`);
    }
  }
  const lines = text
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.length > 0);
  const header = lines[0]?.split(',').map((c) => c.trim());
  if (header?.includes('domain')) {
    const col = (name: string) => header.indexOf(name);
    const unknown = header.filter((h) => !['domain', 'region', 'roleArn', 'externalId'].includes(h));
    if (unknown.length) throw new UsageError(`${what} '${path}': unknown column(s) ${unknown.join(', ')}`);
    return lines.slice(1).map((line) => {
      const cells = line.split(',').map((c) => c.trim());
      const get = (name: string) => (col(name) >= 0 ? cells[col(name)] || undefined : undefined);
      const region = get('region');
      if (!region) return cells[col('domain')] ?? '';
      return {
        domain: get('domain') ?? '',
        region,
        ...(get('roleArn') ? { roleArn: get('roleArn')! } : {}),
        ...(get('externalId') ? { externalId: get('externalId')! } : {}),
      };
    });
  }
  return lines
    .flatMap((l) => l.split(','))
    .map((s) => s.trim())
    .filter(Boolean)
    .map(parseTarget);
}
