import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { bytes, linearFit, markdownTable, seconds } from '../lib/format.js';
import type { RunFigures } from '../lib/rollouts.js';

const scheduled = (run: RunFigures) =>
  Object.values(run.history!.activities).reduce((sum, a) => sum + a.scheduled, 0);
const upserts = (run: RunFigures) => run.history!.eventTypes.UpsertWorkflowSearchAttributes ?? 0;
/** Workflow tasks: each adds Scheduled + Started + Completed; how many depends on how activity completions batch up. */
const workflowTasks = (run: RunFigures) => run.history!.eventTypes.WorkflowTaskCompleted ?? 0;
/** Events that are not workflow-task bookkeeping. */
const workEvents = (run: RunFigures) =>
  run.history!.events -
  (run.history!.eventTypes.WorkflowTaskScheduled ?? 0) -
  (run.history!.eventTypes.WorkflowTaskStarted ?? 0) -
  (run.history!.eventTypes.WorkflowTaskCompleted ?? 0);

/** Scenario 3: events and bytes of history as N grows, and as association latency grows. */
export async function historyGrowth(ctx: BenchContext): Promise<ScenarioReport> {
  const { config } = ctx;
  const byN: RunFigures[] = [];
  for (const n of config.sizes) byN.push(await ctx.durable(ctx.specAt(n)));
  const byLatency: RunFigures[] = [];
  for (const { associationMs, pollIntervalSeconds } of config.latencies) {
    ctx.log(
      `scenario 3: N=${config.latencyDomains}, association ${associationMs / 1000} s, poll ${pollIntervalSeconds} s...`,
    );
    byLatency.push(await ctx.durable(ctx.specAt(config.latencyDomains, associationMs, pollIntervalSeconds)));
  }
  const eventsFit = linearFit(byN.map((r) => [r.spec.domains, r.history!.events] as const));
  const bytesFit = linearFit(byN.map((r) => [r.spec.domains, r.history!.bytes] as const));
  const complete = byLatency.filter((r) => r.failed === 0 && r.current === r.spec.domains);
  const spreadOf = (values: number[]) => (Math.max(...values) - Math.min(...values)) / Math.min(...values);
  const events = complete.map((r) => r.history!.events);
  const work = complete.map(workEvents);
  const label = (r: RunFigures) => `${r.spec.associationMs / 1000} s (poll ${r.spec.pollIntervalSeconds} s)`;
  const notes = [
    `Linear in N: events ≈ ${eventsFit.intercept.toFixed(0)} + ${eventsFit.slope.toFixed(2)} × N; ` +
      `bytes ≈ ${bytes(Math.round(bytesFit.intercept))} + ${bytesFit.slope.toFixed(0)} B × N ` +
      `(bytes: protobuf encoding of temporal.api.history.v1.History, as fetchHistory returns it).`,
    `Across the complete rollouts at association latencies ${complete.map(label).join(' / ')} (N=${config.latencyDomains}), ` +
      `events vary by ${(spreadOf(events) * 100).toFixed(1)} % while polling attempts go ` +
      `${complete.map((r) => r.pollRounds).join(' → ')}: waiting longer costs polls, not history. Without the ` +
      `workflow-task events (Scheduled/Started/Completed, whose number depends on how many activity completions ` +
      `arrive together in one task, i.e. on timing) the events vary by ${(spreadOf(work) * 100).toFixed(1)} % ` +
      `(${work.join(' / ')}). What does vary is the number of polling rounds (one activity each): a round ends as ` +
      `soon as any domain in the window settles, so domains whose associations end a few ms apart on either side ` +
      `of a poll take two rounds instead of one.`,
  ];
  const capped = byLatency.filter(
    (r) => (r.history!.activities.waitForAssociations?.maximumAttempts ?? 0) > 0,
  );
  if (capped.length > 0) {
    const max = capped[0]!.history!.activities.waitForAssociations!.maximumAttempts;
    const failed = byLatency.filter((r) => r.failed > 0);
    notes.push(
      `The recorded retry policy of waitForAssociations has maximumAttempts = ${max} (the workflow's call options, ` +
        `deep-merged by executeWithOptions into the poll options): a window polls at most ${max} times, so an ` +
        `association slower than about ${max} poll intervals fails instead of waiting until the association ` +
        `deadline. ` +
        (failed.length > 0
          ? `Here: ${failed.map((r) => `${label(r)}: ${r.failed} of ${r.spec.domains} failed`).join('; ')}. `
          : '') +
        'See docs/benchmarks.md.',
    );
  }
  return {
    id: 3,
    title: 'History',
    setup:
      `Events and bytes in the finished run's history. Growth with N at ${config.associationMs / 1000} s association ` +
      `(scenario 1's runs); growth with association latency at N=${config.latencyDomains}, C=${config.maxConcurrency} ` +
      `(real waits, no clock scaling).`,
    table: markdownTable(
      [
        'N',
        'events',
        'bytes',
        'events / domain',
        'bytes / domain',
        'workflow tasks',
        'activities',
        'poll attempts',
        'search-attribute upserts',
      ],
      byN.map((r) => [
        r.spec.domains,
        r.history!.events,
        bytes(r.history!.bytes),
        (r.history!.events / r.spec.domains).toFixed(1),
        bytes(Math.round(r.history!.bytes / r.spec.domains)),
        workflowTasks(r),
        scheduled(r),
        r.pollRounds,
        upserts(r),
      ]),
    ),
    more: [
      {
        caption: `Association latency at N=${config.latencyDomains}`,
        table: markdownTable(
          [
            'association',
            'poll',
            'outcome',
            'wall',
            'events',
            'bytes',
            'workflow tasks',
            'other events',
            'activities',
            'poll attempts',
            'ListDomainsForPackage calls',
          ],
          byLatency.map((r) => [
            `${r.spec.associationMs / 1000} s`,
            `${r.spec.pollIntervalSeconds} s`,
            r.failed > 0 ? `${r.current} current, ${r.failed} failed` : `${r.current} current`,
            seconds(r.wallMs),
            r.history!.events,
            bytes(r.history!.bytes),
            workflowTasks(r),
            workEvents(r),
            scheduled(r),
            r.pollRounds,
            r.calls.byOperation.ListDomainsForPackage ?? 0,
          ]),
        ),
      },
    ],
    notes,
  };
}
