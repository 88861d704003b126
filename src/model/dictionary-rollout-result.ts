/**
 * What a dictionary rollout reports: per-domain outcomes, the plan, the approve message's
 * argument and answer, progress and the result. Declared once (zod, for the JSON Schemas), the
 * types derived; the input schema and its rules are in dictionary-rollout.ts.
 */
import { z } from 'zod';
import { epochMs, failureSummary, type FailureSummary } from './failures.js';
import { gateFailure, notificationReport } from './health-gates.js';
import { domainVerification, verificationCounts } from './verification.js';
import { placeRef } from './fleet.js';
// ---- progress and result: declared once (zod, for the JSON Schemas), the types derived -----

export const domainState = z.enum([
  'pending', // not started yet
  'skipped', // already current before this run: no AssociatePackage call
  'associating',
  'current', // ACTIVE at the target version
  'failed',
  'not-started', // halted, cancelled or dry-run before it was reached
  'rolling-back',
  'rolled-back',
  'rollback-failed',
]);
export type DomainState = z.infer<typeof domainState>;

/** Why a domain failed: a stable type, a message, and AWS's code / request id when AWS said no. */
export type DomainError = FailureSummary;

export const domainOutcome = z.object({
  domain: z.string(),
  target: z
    .string()
    .optional()
    .describe(
      "fleets: the target key '<place>:<domain>' that identifies it in waves; absent for a plain name",
    ),
  place: placeRef
    .optional()
    .describe('fleets: where the domain is; absent = the worker’s own Region and account'),
  state: domainState,
  wave: z.number().int().describe('0-based wave index; -1 before planning'),
  previousVersion: z.string().optional().describe('the version before this run; absent = no association'),
  version: z.string().optional().describe('the version the domain has now, as far as the workflow last saw'),
  referencePath: z
    .string()
    .optional()
    .describe(
      "AWS's ReferencePath on this domain (analyzers/<PackageID>): what analyzers use as synonyms_path",
    ),
  startedAt: epochMs.optional(),
  finishedAt: epochMs.optional(),
  error: failureSummary.optional(),
  verification: domainVerification.optional(),
});
export type DomainOutcome = z.infer<typeof domainOutcome>;

/** Fleets: one package per place (account and Region), and how its domains stand. */
export const placeOutcome = z
  .object({
    place: placeRef,
    packageId: z.string().describe("this place's package id ('' when it was never reached)"),
    targetVersion: z.string().describe("the version this place's domains move to ('' when never reached)"),
    packageChange: z.enum(['created', 'updated', 'unchanged']),
    stagedObject: z.object({ bucket: z.string(), key: z.string() }).optional(),
    domains: z.number().int(),
    current: z.number().int(),
    failed: z.number().int(),
    error: failureSummary
      .optional()
      .describe('the place could not be prepared: its domains failed with this'),
  })
  .strict();
export type PlaceOutcome = z.infer<typeof placeOutcome>;

/** What the `plan` query answers once the plan is known. */
export const dictionaryRolloutPlan = z
  .object({
    packageId: z.string().optional(),
    targetVersion: z.string().optional(),
    waves: z.array(z.array(z.string())).describe('domains to associate, wave by wave (wave 1 first)'),
    skipped: z.array(z.string()).describe('already ACTIVE at the target version: no AssociatePackage call'),
  })
  .strict();
export type DictionaryRolloutPlan = z.infer<typeof dictionaryRolloutPlan>;

/** The argument of the `approve` update and signal. Waves are numbered from 1 for people. */
export const approveWaveArgs = z
  .object({
    wave: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe(
        'approve every wave up to this one, numbered from 1; default: the wave waiting for approval (progress.currentWave + 1)',
      ),
  })
  .strict();
export type ApproveWaveArgs = z.input<typeof approveWaveArgs>;

/** What the `approve` update answers. */
export const approvedWave = z
  .number()
  .int()
  .min(1)
  .describe(
    'the highest wave approved so far, numbered from 1 (progress.currentWave counts from 0: the wave waiting for approval is currentWave + 1)',
  );

export const rolloutPhase = z.enum([
  'staging',
  'packaging',
  'waiting-for-package',
  'planning',
  'associating',
  'waiting-for-approval',
  'paused',
  'pausing-between-waves',
  'rolling-back',
  'done',
  'checking-gates',
  'baking',
]);
export type RolloutPhase = z.infer<typeof rolloutPhase>;

export const dictionaryRolloutProgress = z.object({
  phase: rolloutPhase,
  packageName: z.string(),
  packageId: z.string().optional(),
  targetVersion: z.string().optional(),
  contentSha256: z.string().optional(),
  waves: z.array(z.array(z.string())),
  currentWave: z.number().int(),
  paused: z.boolean(),
  awaitingApproval: z.boolean(),
  domains: z.array(domainOutcome),
  gateFailures: z.array(gateFailure).optional().describe('health gates that failed (docs/health-gates.md)'),
  bakeUntil: epochMs.optional().describe('while baking: when the bake ends'),
  places: z.array(placeOutcome).optional().describe('fleets: per place (docs/fleets.md)'),
});
export type DictionaryRolloutProgress = z.infer<typeof dictionaryRolloutProgress>;

export const rolloutOutcome = z.enum([
  'succeeded',
  'unchanged',
  'partial',
  'failed',
  'rolled-back',
  'cancelled',
  'dry-run',
]);
export type RolloutOutcome = z.infer<typeof rolloutOutcome>;

export const dictionaryRolloutResult = z.object({
  outcome: rolloutOutcome,
  packageName: z.string(),
  packageId: z.string(),
  targetVersion: z.string().describe('e.g. "v3"'),
  referencePath: z.string().describe('what analyzers reference (synonyms_path): analyzers/<PackageID>'),
  contentSha256: z.string(),
  packageChange: z.enum(['created', 'updated', 'unchanged']),
  stagedObject: z.object({ bucket: z.string(), key: z.string(), sizeBytes: z.number() }),
  waves: z.number().int(),
  counts: z.object({
    current: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    notStarted: z.number().int(),
    rolledBack: z.number().int(),
  }),
  domains: z.array(domainOutcome),
  verification: verificationCounts.optional().describe('sums over the domains (verification input only)'),
  startedAt: epochMs,
  finishedAt: epochMs,
  notes: z
    .array(z.string())
    .describe('always worth saying: indexes see a new dictionary only after a refresh'),
  gateFailures: z.array(gateFailure).optional().describe('health gates that failed (docs/health-gates.md)'),
  notifications: notificationReport.optional().describe('notifications sent, and those not delivered'),
  places: z
    .array(placeOutcome)
    .optional()
    .describe(
      'fleets (domains with a region): one package per place; packageId/targetVersion above are then the first place’s',
    ),
});
export type DictionaryRolloutResult = z.infer<typeof dictionaryRolloutResult>;
