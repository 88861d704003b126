/**
 * Diagnostic, not part of `npm run bench`: runs one small durable rollout twice on the benchmark's
 * stack and prints its history (ms since start, event, activity type and retry interval, attempt)
 * and the emulator's call log, to see where wall time goes. The second run is the warm one.
 *
 *   npx tsx bench/debug-timeline.ts [domains=5] [associationMs=300] [pollIntervalSeconds=1] [maxConcurrency=10]
 *
 * This is how the server's ~1 s timer floor showed up: with pollIntervalSeconds 0.1 the retry of
 * waitForAssociations starts ~1,000 ms after the failed attempt, not 100 ms.
 */
import proto from '@temporalio/proto';
import { runDurable } from './lib/rollouts.js';
import { startBenchStack } from './lib/stack.js';
const { temporal } = proto;
const stack = await startBenchStack((m) => console.error(m));
try {
  const n = Number(process.argv[2] ?? 5);
  const assoc = Number(process.argv[3] ?? 300);
  const poll = Number(process.argv[4] ?? 1);
  for (let i = 0; i < 2; i++) {
    const r = await runDurable(stack, {
      domains: n,
      maxConcurrency: Number(process.argv[5] ?? 10),
      associationMs: assoc,
      pollIntervalSeconds: poll,
    });
    console.log('wall', r.wallMs.toFixed(0));
    const h = await stack.client.workflow.getHandle(r.workflowId!).fetchHistory();
    const t0 = Number(h.events![0]!.eventTime!.seconds) * 1000 + h.events![0]!.eventTime!.nanos! / 1e6;
    for (const e of h.events!) {
      const t = Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6;
      const name = temporal.api.enums.v1.EventType[e.eventType!];
      const extra = e.activityTaskScheduledEventAttributes
        ? `${e.activityTaskScheduledEventAttributes.activityType?.name} ${JSON.stringify(e.activityTaskScheduledEventAttributes.retryPolicy?.initialInterval)}`
        : e.activityTaskStartedEventAttributes
          ? `attempt ${e.activityTaskStartedEventAttributes.attempt}`
          : '';
      console.log(String(Math.round(t - t0)).padStart(6), e.eventId?.toString().padStart(4), name, extra);
    }
    const calls = await stack.control.calls();
    const c0 = Date.parse(calls[0]!.realAt);
    for (const c of calls)
      console.log('   call', String(Date.parse(c.realAt) - c0).padStart(6), c.operation, c.httpStatus);
  }
} finally {
  await stack.stop();
}
