/**
 * Workflow patch ids (`patched(id)`): a change to what a workflow schedules goes behind one, so
 * runs started on the older code replay on the newer (test/replay holds histories of both).
 * Never rename or reuse one; remove one only when no run started before it can still be open.
 */
export const Patches = {
  /** packageRemoval waits until the package is gone after DeletePackage (DELETING -> gone). */
  removalWaitsForDeletion: 'removal-waits-for-deletion',
  /** dictionaryRollout's rollback checks that the previous content is still staged in S3. */
  rollbackChecksStagedObject: 'rollback-checks-staged-object',
  /** dictionaryRollout's rollback restores, then dissociates: one concurrency bound for both. */
  rollbackInOneWindow: 'rollback-in-one-window',
  /** Every workflow sets the search attributes it is filtered by, whoever started it. */
  workflowSetsSearchAttributes: 'workflow-sets-search-attributes',
  /** dictionaryRollout's staging has a 10 s heartbeat timeout: a dead worker's staging is retried in seconds. */
  stagingHeartbeat: 'staging-heartbeat',
  /** dictionaryRollout with `verification`: data-plane checks per domain after ACTIVE and after a rollback. */
  verifiedRollouts: 'verified-rollouts',
  /** dictionaryRollout's AWS calls carry a task queue priority (rollback first; call-priority.ts). */
  awsCallPriority: 'aws-call-priority',
  /** Health gates (issue 17): alarm check before wave 1, bake and gates after each wave. */
  healthGates: 'health-gates',
  /** Notifications (issue 17): webhook events of any workflow type. */
  notifications: 'notifications',
  /** Fleets (issue 18): domains with a place; a package per place (account and Region). */
  fleetTargets: 'fleet-targets',
  /** packageRemoval, dataSourceAttachment and iotPackageRelease: their AWS calls carry a task queue priority (call-priority.ts). */
  otherWorkflowsCallPriority: 'other-workflows-call-priority',
  /** pluginRollout's staging has a 10 s heartbeat timeout, as the dictionary rollout's (a dead worker's staging is retried in seconds). */
  pluginStagingHeartbeat: 'plugin-staging-heartbeat',
  /** Verified rollouts: a data-plane activity's start-to-close is 45 s (was 2 minutes), so a dead worker's request is retried sooner. */
  dataPlaneTimeout: 'data-plane-timeout',
  /** Fleets: targets that name the worker's own Region without a role join its own place (one package there, not two). */
  fleetOwnRegion: 'fleet-own-region',
  /** Fleet removals resolve every place first; places that found one package go on as one (dissociated once, deleted once). */
  removalJoinsSamePackage: 'removal-joins-same-package',
} as const;
