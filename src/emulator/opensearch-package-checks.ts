import { validation } from './errors.js';
import { oneOf, requiredString } from './validation.js';

/** What the package operations accept: their request members, and the content of the file copied. */

export const PACKAGE_TYPES = ['TXT-DICTIONARY', 'ZIP-PLUGIN', 'PACKAGE-LICENSE', 'PACKAGE-CONFIG'] as const;
const FILTER_NAMES = [
  'PackageID',
  'PackageName',
  'PackageStatus',
  'PackageType',
  'EngineVersion',
  'PackageOwner',
] as const;

export type PackageType = (typeof PACKAGE_TYPES)[number];
type FilterName = (typeof FILTER_NAMES)[number];

export function packageSource(value: unknown): { bucket: string; key: string } {
  if (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validation(
      "1 validation error detected: Value null at 'packageSource' failed to satisfy constraint: Member must not be null",
    );
  }
  const raw = value as Record<string, unknown>;
  return {
    bucket: requiredString(raw.S3BucketName, 'packageSource.s3BucketName', { min: 3, max: 63 }),
    key: requiredString(raw.S3Key, 'packageSource.s3Key', { min: 1, max: 1024 }),
  };
}

export function parseFilters(value: unknown): Array<{ name: FilterName; values: string[] }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw validation('Filters must be a list');
  return value.map((raw: unknown, index) => {
    const filter = (raw ?? {}) as Record<string, unknown>;
    const name = oneOf(requiredString(filter.Name, `filters.${index + 1}.member.name`), 'name', FILTER_NAMES);
    const values = filter.Value;
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw validation(`Filters[${index}].Value must be a list of strings`);
    }
    return { name, values: values as string[] };
  });
}

export function packageFilterValue(
  pkg: { id: string; name: string; type: string; engineVersion?: string },
  name: FilterName,
  status: string,
  accountId: string,
): string | undefined {
  switch (name) {
    case 'PackageID':
      return pkg.id;
    case 'PackageName':
      return pkg.name;
    case 'PackageStatus':
      return status;
    case 'PackageType':
      return pkg.type;
    case 'EngineVersion':
      return pkg.engineVersion;
    case 'PackageOwner':
      return accountId;
  }
}

export function versionNumber(version: string): number {
  return Number(version.slice(1)) || 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Why OpenSearch would refuse this content for this package type, or undefined when it is fine. */
export function contentProblem(type: PackageType, body: Buffer): string | undefined {
  if (type === 'TXT-DICTIONARY') {
    if (body.length === 0) return 'The dictionary file is empty';
    try {
      utf8.decode(body);
    } catch {
      return 'The dictionary file is not valid UTF-8 text';
    }
    if (body.includes(0)) return 'The dictionary file contains NUL bytes: it is not a text file';
    return undefined;
  }
  if (type === 'ZIP-PLUGIN') {
    const isZip = body.length >= 4 && body.readUInt32LE(0) === 0x04034b50;
    return isZip ? undefined : 'The plugin file is not a ZIP archive';
  }
  return undefined;
}
