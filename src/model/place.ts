import { z } from 'zod';

/**
 * Where a domain lives: an AWS Region and, for another account, the IAM role the worker assumes
 * there. Custom packages, quotas and rate limits are all per account and Region, so a fleet rollout
 * does its package work once per place. A target without a place is in the worker's own Region and
 * account (its default credential chain and AWS_REGION).
 */

/** AWS partition Region names: us-east-1, eu-west-1, ap-southeast-2, us-gov-west-1, cn-north-1. */
export const awsRegion = z
  .string()
  .regex(/^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/, 'must be an AWS Region name such as eu-west-1');

/** IAM's role ARN: arn:<partition>:iam::<12-digit account>:role/<path/>name (name 1-64). */
export const iamRoleArn = z
  .string()
  .max(2048, 'must be at most 2048 characters (IAM RoleArn rule: 20-2048)')
  .regex(
    /^arn:aws(-cn|-us-gov|-iso[a-z-]*)?:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
    'must be an IAM role ARN such as arn:aws:iam::123456789012:role/rollouts',
  );

/** STS AssumeRole ExternalId: 2-1224 characters of [\w+=,.@:/-]. */
export const stsExternalId = z
  .string()
  .min(2, 'must be at least 2 characters (STS ExternalId rule: 2-1224)')
  .max(1224, 'must be at most 1224 characters (STS ExternalId rule: 2-1224)')
  .regex(/^[\w+=,.@:/-]+$/, "must contain only letters, digits and '+=,.@:/-_' (STS ExternalId rule)");

export const placeSchema = z
  .object({
    region: awsRegion,
    /** Absent: the worker's own account (its credentials, no role assumed). */
    roleArn: iamRoleArn.optional(),
    /** Only with roleArn: the external id the role's trust policy requires. */
    externalId: stsExternalId.optional(),
  })
  .strict()
  .refine((p) => p.externalId === undefined || p.roleArn !== undefined, {
    message: 'externalId is only used with roleArn',
    path: ['externalId'],
  });
export type Place = z.infer<typeof placeSchema>;

/** The account a role ARN belongs to (its fifth field). */
export function accountOfRole(roleArn: string): string {
  return roleArn.split(':')[4] ?? '';
}

/**
 * One stable key per place, for maps, task-queue or fairness keys, search attributes and logs:
 * `eu-west-1` for the worker's own account, `eu-west-1/210987654321` for a role's account. The
 * external id is not part of it (it is a shared secret of the trust policy, not an address).
 */
export function placeKey(place: Place | undefined, defaultRegion = 'default'): string {
  if (!place) return defaultRegion;
  return place.roleArn ? `${place.region}/${accountOfRole(place.roleArn)}` : place.region;
}
