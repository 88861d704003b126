import { z } from 'zod';

/**
 * AWS's own naming rules (botocore service models, the OpenSearch Service developer guide), in one
 * place so the CLI, the client and the workflows reject the same inputs with the same words.
 * Each message names the rule, so an error reads "domains[3]: must be ... (AWS DomainName rule)".
 */

const LOWER_NAME = /^[a-z][a-z0-9-]+$/;

export const domainName = z
  .string()
  .min(3, 'must be at least 3 characters (AWS DomainName rule: 3-28)')
  .max(28, 'must be at most 28 characters (AWS DomainName rule: 3-28)')
  .regex(LOWER_NAME, "must start with a-z and contain only a-z, 0-9 and '-' (AWS DomainName rule)");

/** The model allows 256; Terraform caps at 32 and other tools at 28, so names > 28 get a warning. */
export const PACKAGE_NAME_PORTABLE_MAX = 28;
export const opensearchPackageName = z
  .string()
  .min(3, 'must be at least 3 characters (AWS PackageName rule: 3-256)')
  .max(256, 'must be at most 256 characters (AWS PackageName rule: 3-256)')
  .regex(LOWER_NAME, "must start with a-z and contain only a-z, 0-9 and '-' (AWS PackageName rule)");

export const opensearchPackageId = z
  .string()
  .regex(/^(F|G)[0-9]+$|^pkg-[a-zA-Z0-9]+$/, 'must be an OpenSearch package id such as F123456789');

export const opensearchPackageTypes = [
  'TXT-DICTIONARY',
  'ZIP-PLUGIN',
  'PACKAGE-LICENSE',
  'PACKAGE-CONFIG',
] as const;
export const opensearchPackageType = z.enum(opensearchPackageTypes, {
  error: `must be one of ${opensearchPackageTypes.join(', ')} (AWS PackageType)`,
});

export const PACKAGE_DESCRIPTION_MAX = 1024;
export const COMMIT_MESSAGE_MAX = 160;

export const s3BucketName = z
  .string()
  .min(3, 'must be at least 3 characters (S3 bucket name rule: 3-63)')
  .max(63, 'must be at most 63 characters (S3 bucket name rule: 3-63)')
  .regex(
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    "must contain only a-z, 0-9, '.' and '-' and start and end with a letter or digit (S3 bucket name rule)",
  )
  .refine((b) => !b.includes('..'), 'must not contain two adjacent periods (S3 bucket name rule)');

/** Keys are also checked for path tricks: the staging prefix must never escape itself. */
export const s3Key = z
  .string()
  .min(1, 'must not be empty (S3 key rule: 1-1024 bytes)')
  .refine((k) => utf8Length(k) <= 1024, 'must be at most 1024 bytes of UTF-8 (S3 key rule)')
  .refine((k) => !k.startsWith('/'), "must not start with '/'")
  .refine(
    (k) => !k.split('/').some((seg) => seg === '..' || seg === '.'),
    "must not contain '.' or '..' path segments",
  )
  .refine((k) => !hasControlCharacters(k), 'must not contain control characters');

export const s3Prefix = z
  .string()
  .max(512, 'must be at most 512 characters')
  .refine((k) => !k.startsWith('/'), "must not start with '/'")
  .refine(
    (k) => !k.split('/').some((seg) => seg === '..' || seg === '.'),
    "must not contain '.' or '..' path segments",
  )
  .refine((k) => !hasControlCharacters(k), 'must not contain control characters');

const IOT_NAME = /^[a-zA-Z0-9\-_.]+$/;
export const iotPackageName = z
  .string()
  .min(1, 'must not be empty (AWS IoT packageName rule: 1-128)')
  .max(128, 'must be at most 128 characters (AWS IoT packageName rule: 1-128)')
  .regex(IOT_NAME, "must contain only a-z, A-Z, 0-9, '-', '_' and '.' (AWS IoT packageName rule)");
export const iotVersionName = z
  .string()
  .min(1, 'must not be empty (AWS IoT versionName rule: 1-64)')
  .max(64, 'must be at most 64 characters (AWS IoT versionName rule: 1-64)')
  .regex(IOT_NAME, "must contain only a-z, A-Z, 0-9, '-', '_' and '.' (AWS IoT versionName rule)");
export const IOT_ATTRIBUTE_KEY = /^[a-zA-Z0-9:_-]+$/;
export const IOT_ATTRIBUTES_MAX_BYTES = 3072;

export const workspaceName = z
  .string()
  .min(1, 'must not be empty (AWS workspace name rule: 1-40)')
  .max(40, 'must be at most 40 characters (AWS workspace name rule: 1-40)')
  .regex(
    /^[a-zA-Z0-9()[\]\-_ ]+$/,
    'must contain only letters, digits, spaces and ( ) [ ] - _ (AWS workspace name rule)',
  );

export function utf8Length(s: string): number {
  // TextEncoder exists in the workflow sandbox and in Node; avoids Buffer in workflow code.
  return new TextEncoder().encode(s).length;
}

function hasControlCharacters(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
