import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { RolloutFailedDomains, RolloutStatus, type RolloutStatusValue } from '../model/search-attributes.js';

/** Keeps the Web UI's list view current: status, and failed domains where that applies. */
export function publishStatus(status: RolloutStatusValue, failedDomains?: number): void {
  const updates: SearchAttributeUpdatePair[] = [{ key: RolloutStatus, value: status }];
  if (failedDomains !== undefined) updates.push({ key: RolloutFailedDomains, value: failedDomains });
  upsertSearchAttributes(updates);
}
