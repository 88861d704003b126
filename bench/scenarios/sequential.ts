import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { linearFit, markdownTable, ratio, seconds } from '../lib/format.js';

/** Scenario 2: the durable rollout against the usual hand-written tool, one domain at a time. */
export async function againstSequential(ctx: BenchContext): Promise<ScenarioReport> {
  const { config } = ctx;
  const measured = new Map<number, number>();
  for (const n of config.sequentialSizes) {
    ctx.log(`scenario 2: N=${n}: sequential script...`);
    const run = await ctx.sequential(ctx.specAt(n));
    if (run.current !== n) throw new Error(`sequential N=${n}: ${run.current} current`);
    measured.set(n, run.wallMs);
  }
  // One domain at a time is linear in N; with a single measured size, assume no constant.
  const fit =
    measured.size > 1
      ? linearFit([...measured].map(([n, ms]) => [n, ms] as const))
      : { intercept: 0, slope: [...measured].map(([n, ms]) => ms / n)[0] ?? NaN };
  const rows = [];
  for (const n of config.sizes) {
    const durable = await ctx.durable(ctx.specAt(n));
    const seq = measured.get(n);
    const estimate = fit.intercept + fit.slope * n;
    rows.push([
      n,
      seconds(durable.wallMs),
      seq !== undefined ? seconds(seq) : `≈ ${seconds(estimate)} (est.)`,
      ratio(seq ?? estimate, durable.wallMs),
    ]);
  }
  return {
    id: 2,
    title: 'Against the usual script',
    setup:
      `The same rollout (${config.associationMs / 1000} s association, poll every ${config.pollIntervalSeconds} s) as a ` +
      `sequential script: associate one domain, poll until it is ACTIVE, then the next. Durable figures are scenario 1's ` +
      `(C=${config.maxConcurrency}). Sequential runs were measured for N = ${config.sequentialSizes.join(', ')}; larger N ` +
      `are extrapolated linearly from them (${seconds(fit.intercept)} + ${seconds(fit.slope)} per domain), since ` +
      `1,000 domains one at a time would take longer than the whole benchmark.`,
    table: markdownTable(['N', 'durable (window)', 'sequential script', 'speed-up'], rows),
    notes: [],
  };
}
