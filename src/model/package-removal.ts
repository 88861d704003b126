import { z } from 'zod';
import { callPriority } from './call-priority.js';
import { notificationReport, notificationsInput } from './health-gates.js';
import { opensearchPackageId, opensearchPackageName } from './aws-rules.js';
import { MAX_DOMAINS } from './dictionary-rollout.js';
import { epochMs, failureSummary } from './failures.js';
import { checkTargets, domainTarget, placeRef } from './fleet.js';
import { placeSchema } from './place.js';

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
          .array(domainTarget)
          .min(1, "needs at least 1 domain (or 'all')")
          .max(MAX_DOMAINS, `must list at most ${MAX_DOMAINS} domains`)
          .superRefine((d, ctx) => checkTargets(d, ctx, []))
          .meta({ uniqueItems: true }),
      ])
      .default('all'),
    /**
     * Fleets, with domains 'all': the other places (Region, role) to remove the package from too,
     * each by its name there (package ids differ per place). Listed targets bring their own place.
     */
    places: z
      .array(placeSchema)
      .min(1, 'needs at least 1 place when given')
      .max(50, 'must list at most 50 places')
      .optional(),
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
    /** Webhook events (docs/health-gates.md): started and finished. */
    notifications: notificationsInput.optional(),
    /** Task queue priority of the run's AWS calls (call-priority.ts). */
    priority: callPriority.default(callPriority.parse({})),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.places && input.domains !== 'all')
      ctx.addIssue({
        code: 'custom',
        message: "places is for domains 'all'; listed domains carry their own region",
        path: ['places'],
      });
    const fleet =
      Boolean(input.places) ||
      (Array.isArray(input.domains) && input.domains.some((d) => typeof d !== 'string'));
    if (fleet && input.packageId)
      ctx.addIssue({
        code: 'custom',
        message: 'a removal across places names the package by packageName (its id differs per place)',
        path: ['packageId'],
      });
    if (Boolean(input.packageName) === Boolean(input.packageId))
      ctx.addIssue({
        code: 'custom',
        message: 'give exactly one of packageName or packageId',
        path: ['packageName'],
      });
  })
  // The same rule for JSON Schema (schemas/): exactly one of the two.
  .meta({ oneOf: [{ required: ['packageName'] }, { required: ['packageId'] }] });
export type PackageRemovalInput = z.input<typeof packageRemovalInput>;
export type PackageRemovalParams = z.output<typeof packageRemovalInput>;

// ---- progress and result: declared once (zod, for the JSON Schemas), the types derived -----

export const removalDomainState = z.enum([
  'pending',
  'dissociating',
  'dissociated',
  'not-associated', // named in the input but not associated: nothing to do
  'failed',
]);
export type RemovalDomainState = z.infer<typeof removalDomainState>;

export const removalDomainOutcome = z.object({
  domain: z.string(),
  target: z.string().optional().describe("fleets: the target key '<place>:<domain>'"),
  place: placeRef.optional().describe('fleets: where the domain is'),
  state: removalDomainState,
  previousVersion: z.string().optional().describe('the version that was associated before the removal'),
  error: failureSummary.optional(),
  startedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
});
export type RemovalDomainOutcome = z.infer<typeof removalDomainOutcome>;

export const packageRemovalResult = z.object({
  outcome: z.enum(['removed', 'already-removed', 'partial', 'failed']),
  packageName: z.string().optional(),
  packageId: z.string().optional(),
  packageDeletion: z
    .enum(['deleted', 'already-deleted', 'kept', 'failed', 'not-requested'])
    .describe(
      'deleted: this run deleted it (DeletePackage accepted and the package gone); already-deleted: it was not there; ' +
        'kept: domains remain; failed: AWS could not delete it (DELETE_FAILED, see keptBecause); not-requested: deletePackage was false',
    ),
  keptBecause: z.string().optional(),
  domains: z.array(removalDomainOutcome),
  counts: z.object({
    dissociated: z.number().int(),
    notAssociated: z.number().int(),
    failed: z.number().int(),
  }),
  startedAt: epochMs,
  finishedAt: epochMs,
  places: z
    .array(
      z
        .object({
          place: placeRef,
          packageId: z.string().optional(),
          packageDeletion: z.enum(['deleted', 'already-deleted', 'kept', 'failed', 'not-requested']),
          keptBecause: z.string().optional(),
        })
        .strict(),
    )
    .optional()
    .describe('fleets: the removal per place (its package there)'),
  notifications: notificationReport.optional().describe('notifications sent, and those not delivered'),
});
export type PackageRemovalResult = z.infer<typeof packageRemovalResult>;

export const packageRemovalProgress = z.object({
  phase: z.enum(['resolving', 'dissociating', 'deleting', 'done']),
  packageId: z.string().optional(),
  domains: z.array(removalDomainOutcome),
});
export type PackageRemovalProgress = z.infer<typeof packageRemovalProgress>;

export function packageRemovalWorkflowId(input: { packageName?: string; packageId?: string }): string {
  return `package-removal/${input.packageName ?? input.packageId}`;
}
