import { z } from 'zod';
import { domainName, opensearchPackageId, opensearchPackageName } from './aws-rules.js';
import { MAX_DOMAINS, type DomainError } from './dictionary-rollout.js';

export const packageRemovalInput = z
  .object({
    /** The package, by name or by id (exactly one). */
    packageName: opensearchPackageName.optional(),
    packageId: opensearchPackageId.optional(),
    /** 'all' (default): every domain the package is associated with; or a list. */
    domains: z
      .union([
        z.literal('all'),
        z
          .array(domainName)
          .min(1, "needs at least 1 domain (or 'all')")
          .max(MAX_DOMAINS, `must list at most ${MAX_DOMAINS} domains`)
          .refine((d) => new Set(d).size === d.length, 'must not contain duplicates'),
      ])
      .default('all'),
    /** Delete the package once no domain is associated with it any more. */
    deletePackage: z.boolean().default(true),
    maxConcurrency: z.number().int().min(1).max(100).default(10),
    /** Per domain; AWS reports minutes for dissociation as for association. */
    dissociationDeadlineSeconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .default(45 * 60),
    pollIntervalSeconds: z.number().min(0.05).max(600).default(15),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (Boolean(input.packageName) === Boolean(input.packageId))
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of packageName or packageId',
        path: ['packageName'],
      });
  });
export type PackageRemovalInput = z.input<typeof packageRemovalInput>;
export type PackageRemovalParams = z.output<typeof packageRemovalInput>;

export type RemovalDomainState =
  | 'pending'
  | 'dissociating'
  | 'dissociated'
  /** Named in the input but not associated: nothing to do. */
  | 'not-associated'
  | 'failed';

export interface RemovalDomainOutcome {
  domain: string;
  state: RemovalDomainState;
  /** The version that was associated before the removal. */
  previousVersion?: string;
  error?: DomainError;
  startedAt?: number;
  finishedAt?: number;
}

export interface PackageRemovalResult {
  outcome: 'removed' | 'already-removed' | 'partial' | 'failed';
  packageName?: string;
  packageId?: string;
  /**
   * deleted: this run deleted it (DeletePackage accepted and the package gone); already-deleted: it
   * was not there; kept: domains remain; failed: AWS could not delete it (DELETE_FAILED, see
   * keptBecause); not-requested: deletePackage was false.
   */
  packageDeletion: 'deleted' | 'already-deleted' | 'kept' | 'failed' | 'not-requested';
  keptBecause?: string;
  domains: RemovalDomainOutcome[];
  counts: Record<'dissociated' | 'notAssociated' | 'failed', number>;
  startedAt: number;
  finishedAt: number;
}

export interface PackageRemovalProgress {
  phase: 'resolving' | 'dissociating' | 'deleting' | 'done';
  packageId?: string;
  domains: RemovalDomainOutcome[];
}

export function packageRemovalWorkflowId(input: { packageName?: string; packageId?: string }): string {
  return `package-removal/${input.packageName ?? input.packageId}`;
}
