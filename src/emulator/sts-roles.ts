/**
 * The roles the emulator's STS knows (sts.ts): IAM's rules for their ARNs, STS's for external ids
 * and session durations, as the control API and `--role` check them.
 */
import type { RoleSpec } from './types.js';

export const ROLE_ARN =
  /^arn:aws(-cn|-us-gov|-iso[a-z-]*)?:iam::(\d{12}):role\/((?:[\w+=,.@-]+\/)*)([\w+=,.@-]{1,64})$/;
export const EXTERNAL_ID = /^[\w+=,.@:/-]*$/;
/** STS's upper bound on DurationSeconds, and on a role's MaxSessionDuration. */
export const MAX_DURATION_S = 43_200;

/** The control API's and `--role`'s check of a role: IAM's ARN rule, STS's external id rule. */
export function checkRole(role: RoleSpec): void {
  if (!ROLE_ARN.test(role.arn) || role.arn.length > 2048)
    throw new Error(
      `role ${role.arn}: must be an IAM role ARN such as arn:aws:iam::210987654321:role/rollouts`,
    );
  if (
    role.externalId !== undefined &&
    (role.externalId.length < 2 || role.externalId.length > 1224 || !EXTERNAL_ID.test(role.externalId))
  )
    throw new Error(
      `role ${role.arn}: externalId must be 2-1224 characters of letters, digits and +=,.@:/-_`,
    );
  const max = role.maxSessionDurationSeconds;
  if (max !== undefined && (!Number.isInteger(max) || max < 3600 || max > MAX_DURATION_S))
    throw new Error(`role ${role.arn}: maxSessionDurationSeconds must be a whole number from 3600 to 43200`);
}

/** `arn[,externalId]` from the emulator's `--role` flag. */
export function parseRoleFlag(value: string): RoleSpec {
  const [arn, externalId, ...rest] = value.split(',');
  if (!arn || rest.length > 0) throw new Error(`--role must be arn[,externalId], got ${value}`);
  const role: RoleSpec = { arn, ...(externalId ? { externalId } : {}) };
  checkRole(role);
  return role;
}

/** The account a role ARN names, or undefined when it is not one. */
export function accountOfRoleArn(arn: string): string | undefined {
  return ROLE_ARN.exec(arn)?.[2];
}
