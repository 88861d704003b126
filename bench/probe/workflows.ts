/**
 * Workflow of the task-queue dispatch probes (bench/limiter-probe.ts, bench/fairness-probe.ts):
 * `calls` no-op activities, at most `window` at a time, at one priority key (and fairness key).
 * Measures the server's hand-out, not AWS.
 */
import { proxyActivities } from '@temporalio/workflow';

const { probeCall } = proxyActivities<{ probeCall(tag: string): Promise<void> }>({
  startToCloseTimeout: '1 minute',
});

export async function dispatchProbe(
  tag: string,
  calls: number,
  window: number,
  priorityKey: number,
  fairnessKey?: string,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < calls) {
      next++;
      await probeCall.executeWithOptions(
        {
          startToCloseTimeout: '1 minute',
          priority: { priorityKey, ...(fairnessKey ? { fairnessKey } : {}) },
        },
        [tag],
      );
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
}
