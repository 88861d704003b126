import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { linearFit, markdownTable, ratio, seconds } from '../lib/format.js';
import type { RunFigures } from '../lib/rollouts.js';

/** Scenario 1: the durable rollout against the plain script with the same calls, as N grows. */
export async function costOfDurability(ctx: BenchContext): Promise<ScenarioReport> {
  const { config } = ctx;
  const rows: Array<{ n: number; durable: RunFigures; script: RunFigures }> = [];
  for (const n of config.sizes) {
    const spec = ctx.specAt(n);
    ctx.log(`scenario 1: N=${n}: durable rollout...`);
    const durable = await ctx.durable(spec);
    ctx.log(`scenario 1: N=${n}: plain script...`);
    const script = await ctx.script(spec);
    for (const run of [durable, script])
      if (run.current !== n || run.failed > 0)
        throw new Error(
          `${run.kind} N=${n}: ${run.current} current, ${run.failed} failed (expected ${n} current)`,
        );
    rows.push({ n, durable, script });
  }
  const fit = linearFit(rows.map((r) => [r.n, r.durable.wallMs - r.script.wallMs] as const));
  const worst = rows.reduce((a, b) =>
    b.durable.wallMs / b.script.wallMs > a.durable.wallMs / a.script.wallMs ? b : a,
  );
  const notes = [
    `Overhead of durability (durable − script) fitted as constant + per domain: ` +
      `${seconds(fit.intercept)} + ${fit.slope.toFixed(1)} ms × N.`,
    `Per window of C=${config.maxConcurrency} (durable − script) ÷ ceil(N / C): ${rows
      .map(
        (r) =>
          `N=${r.n}: ${Math.round((r.durable.wallMs - r.script.wallMs) / Math.ceil(r.n / config.maxConcurrency))} ms`,
      )
      .join(
        '; ',
      )}. Each window dispatches C AssociatePackage activities through the server and the worker and takes ` +
      `two or three more workflow tasks before its first poll, where the script fires C HTTP calls at once.`,
    `Polling rounds (durable / script): ${rows.map((r) => `N=${r.n}: ${r.durable.pollRounds} / ${r.script.pollRounds}`).join('; ')}.`,
  ];
  const worstRatio = worst.durable.wallMs / worst.script.wallMs;
  if (worstRatio > 1.1)
    notes.push(
      `Worst ratio ${worstRatio.toFixed(2)}× at N=${worst.n} (more than 10 % over the script): see docs/benchmarks.md for where the difference goes.`,
    );
  return {
    id: 1,
    title: 'Cost of durability',
    setup:
      `Dictionary rollout (one wave, sliding window C=${config.maxConcurrency}, poll every ${config.pollIntervalSeconds} s) ` +
      `with ${config.associationMs / 1000} s association latency, through Temporal (worker in its own process) and as a plain ` +
      `AWS SDK script making the same calls with the same window and poll interval. Wall time from start to result, ` +
      `package creation included.`,
    table: markdownTable(
      ['N', 'C', 'durable', 'script', 'ratio', 'durable − script', 'worker CPU', 'window rounds'],
      rows.map(({ n, durable, script }) => [
        n,
        config.maxConcurrency,
        seconds(durable.wallMs),
        seconds(script.wallMs),
        ratio(durable.wallMs, script.wallMs),
        seconds(durable.wallMs - script.wallMs),
        durable.workerCpuMs !== undefined ? seconds(durable.workerCpuMs) : undefined,
        Math.ceil(n / config.maxConcurrency),
      ]),
    ),
    notes,
  };
}
