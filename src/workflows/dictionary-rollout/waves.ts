/**
 * The waves, one after the other: between two waves the policy's pause and approval gate, then
 * the wave's domains. After a wave with a failure, halt and rollback start no further wave.
 */
import { condition, patched } from '@temporalio/workflow';
import { Patches } from '../patches.js';
import { associateWave } from './associate.js';
import { betweenWaves } from './between-waves.js';
import { bakeAndCheck, gatesApply } from './gates.js';
import type { DictionaryRolloutState } from './state.js';
import { verifyWave } from './verify.js';

export async function runWaves(state: DictionaryRolloutState, packageId: string): Promise<void> {
  const { policy } = state.input;
  state.phase = 'associating';
  let stopStarting = false;
  const gated = gatesApply(state);
  for (
    state.currentWave = 0;
    state.currentWave < state.waves.length && !stopStarting && !state.cancelRequested;
    state.currentWave++
  ) {
    if (state.currentWave > 0) await betweenWaves(state);
    if (state.paused) {
      state.enter('paused');
      await condition(() => !state.paused || state.cancelRequested);
    }
    if (state.cancelRequested) break;
    state.enter('associating');
    notifyWaveStarted(state);
    const failedBefore = state.count('failed');
    await associateWave(state, packageId, state.waves[state.currentWave]!);
    if (state.input.verification && patched(Patches.verifiedRollouts))
      await verifyWave(state, packageId, state.waves[state.currentWave]!);
    if (state.count('failed') > failedBefore && policy.failurePolicy !== 'continue') stopStarting = true;
    // A failed gate is a failure of this wave: the same policy decides whether another starts.
    if (gated && !stopStarting && !state.cancelRequested && !(await bakeAndCheck(state, state.currentWave)))
      stopStarting = policy.failurePolicy !== 'continue';
  }
  state.currentWave = Math.min(state.currentWave, state.waves.length - 1);
  state.markUnreached();
}

function notifyWaveStarted(state: DictionaryRolloutState): void {
  const wave = state.waves[state.currentWave] ?? [];
  state.notifier.emit(
    'wave-started',
    `wave ${state.currentWave + 1} of ${state.waves.length} started: ${wave.length} domain(s) to ${state.targetVersion ?? '?'}`,
    {
      package: state.input.packageName,
      ...(state.targetVersion ? { version: state.targetVersion } : {}),
      wave: state.currentWave + 1,
      waves: state.waves.length,
      domains: wave,
    },
  );
}
