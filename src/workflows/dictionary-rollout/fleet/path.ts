/**
 * Whether a run takes the fleet path (some domain names a place), behind the `fleet-targets`
 * patch: runs of plain names never ask, so their histories are as they were.
 */
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { FailureTypes } from '../../../model/failures.js';
import { Patches } from '../../patches.js';
import type { DictionaryRolloutState } from '../state.js';
import { planFleet } from './plan.js';
import { publishFleet } from './publish.js';
import { rollbackFleet } from './rollback.js';

export function fleetPath(state: DictionaryRolloutState) {
  if (!state.fleet) return undefined;
  if (!patched(Patches.fleetTargets))
    throw ApplicationFailure.nonRetryable(
      'a fleet rollout replayed on code without fleet support',
      FailureTypes.InvalidInput,
    );
  return { publish: publishFleet, plan: planFleet, rollback: rollbackFleet };
}
