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
  /** Health gates (issue 17): alarm check before wave 1, bake and gates after each wave. */
  healthGates: 'health-gates',
  /** Notifications (issue 17): webhook events of any workflow type. */
  notifications: 'notifications',
} as const;
