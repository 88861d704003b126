/**
 * What stands between two waves: the policy's pause, then its approval gate. A cancel ends
 * either at once (the loop then starts nothing new).
 */
import { condition, sleep } from '@temporalio/workflow';
import type { DictionaryRolloutState } from './state.js';

export async function betweenWaves(state: DictionaryRolloutState): Promise<void> {
  const { policy } = state.input;
  const next = state.currentWave + 1;
  if (policy.pauseBetweenWavesSeconds > 0) {
    state.enter('pausing-between-waves');
    await Promise.race([
      sleep(policy.pauseBetweenWavesSeconds * 1000, {
        summary: `pause before wave ${next} of ${state.waves.length}`,
      }),
      condition(() => state.cancelRequested),
    ]);
  }
  if (policy.approvalBetweenWaves) {
    state.awaitingApproval = true;
    state.enter('waiting-for-approval');
    state.notifier.emit(
      'waiting-for-approval',
      `waiting for approval of wave ${next} of ${state.waves.length}`,
      {
        package: state.input.packageName,
        ...(state.targetVersion ? { version: state.targetVersion } : {}),
        wave: next,
        waves: state.waves.length,
        domains: state.waves[next - 1] ?? [],
      },
    );
    await condition(() => state.approvedThrough >= next || state.cancelRequested);
    state.awaitingApproval = false;
  }
}
