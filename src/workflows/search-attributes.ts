import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import type { WorkflowType } from '../model/constants.js';
import { RolloutFailedDomains, RolloutStatus, type RolloutStatusValue } from '../model/search-attributes.js';
import { startSearchAttributes } from '../model/workflow-identity.js';
import { Patches } from './patches.js';

/**
 * The search attributes the list filters use (RolloutKind, RolloutTarget, RolloutDomains, ...),
 * set by the run itself so that a run started from any language, with none set at start, is
 * found like one the TypeScript client started. Behind a patch: an upsert is a command in history.
 * RolloutStatus is left to publishStatus, which keeps it current.
 */
export function publishIdentity(type: WorkflowType, params: object): void {
  if (!patched(Patches.workflowSetsSearchAttributes)) return;
  upsertSearchAttributes(
    startSearchAttributes(type, params).filter((p) => p.key.name !== RolloutStatus.name),
  );
}

/** Keeps the Web UI's list view current: status, and failed domains where that applies. */
export function publishStatus(status: RolloutStatusValue, failedDomains?: number): void {
  const updates: SearchAttributeUpdatePair[] = [{ key: RolloutStatus, value: status }];
  if (failedDomains !== undefined) updates.push({ key: RolloutFailedDomains, value: failedDomains });
  upsertSearchAttributes(updates);
}
