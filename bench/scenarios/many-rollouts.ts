import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { bytes, markdownTable, mean, seconds } from '../lib/format.js';
import { historyFigures } from '../lib/history.js';
import { parseTimeVerbose, resetPeakRss, sampleProcess } from '../lib/processes.js';
import { dictionaryText, domainNames, durationsFor, policyFor, type RolloutSpec } from '../lib/rollouts.js';
import { STAGING_BUCKET, STAGING_PREFIX, type WorkerHandle } from '../lib/stack.js';

/** Scenario 5: many rollouts at once on one worker process: wall time, CPU and peak RSS from the OS. */
export async function manyRollouts(ctx: BenchContext): Promise<ScenarioReport> {
  const { config, stack } = ctx;
  const { rollouts, domains: perRollout, maxConcurrency } = config.many;
  const spec: RolloutSpec = {
    domains: perRollout,
    maxConcurrency,
    associationMs: config.associationMs,
    pollIntervalSeconds: config.pollIntervalSeconds,
  };
  const groups = Array.from({ length: rollouts }, (_, r) =>
    domainNames(perRollout, `m${String(r + 1).padStart(2, '0')}`),
  );
  ctx.log('scenario 5: starting a fresh worker process under /usr/bin/time -v...');
  const worker = await stack.startWorker({ timed: true });
  const startupSample = sampleProcess(worker.pid);

  const runOne = async (domains: string[]) => {
    const tag = randomUUID().slice(0, 8);
    const { handle, workflowId } = await startDictionaryRollout(
      stack.client,
      {
        packageName: `many-${tag}`,
        source: { kind: 'inline', text: dictionaryText(tag) },
        staging: { bucket: STAGING_BUCKET, prefix: STAGING_PREFIX },
        domains,
        policy: policyFor(spec),
      },
      { taskQueue: worker.taskQueue },
    );
    const result = await dictionaryRolloutResult(handle);
    if (result.counts.current !== domains.length)
      throw new Error(`rollout ${workflowId}: ${result.counts.current} of ${domains.length} current`);
    return workflowId;
  };

  try {
    await stack.resetAws({ durations: durationsFor(spec), domains: groups.flat() });
    ctx.log('scenario 5: one rollout alone (reference, also warms the worker up)...');
    const aloneStart = performance.now();
    await runOne(groups[0]!);
    const aloneMs = performance.now() - aloneStart;

    await stack.resetAws({ durations: durationsFor(spec), domains: groups.flat() });
    const peakReset = resetPeakRss(worker.pid);
    const before = sampleProcess(worker.pid);
    ctx.log(`scenario 5: ${rollouts} rollouts of ${perRollout} domains at once...`);
    const started = performance.now();
    let peakSeen = before.rssBytes;
    const sampler = setInterval(() => {
      try {
        peakSeen = Math.max(peakSeen, sampleProcess(worker.pid).rssBytes);
      } catch {
        // the worker is gone; the final sample reports it
      }
    }, 250);
    let ids: string[];
    try {
      ids = await Promise.all(groups.map((g) => runOne(g)));
    } finally {
      clearInterval(sampler);
    }
    const wallMs = performance.now() - started;
    const after = sampleProcess(worker.pid);
    const peakRss = peakReset ? after.peakRssBytes : peakSeen;
    const histories = await Promise.all(ids.map((id) => historyFigures(stack.client, id)));
    const calls = await stack.control.callCounts();
    const timeV = await stopAndReport(worker);
    const cpuMs = after.cpuMs - before.cpuMs;

    return {
      id: 5,
      title: 'Many rollouts at once',
      setup:
        `${rollouts} dictionary rollouts of ${perRollout} domains each (distinct domains and packages), started together on ` +
        `one worker process (max ${100} concurrent activities, the default), window C=${maxConcurrency} per rollout, ` +
        `${config.associationMs / 1000} s association, poll every ${config.pollIntervalSeconds} s. Worker CPU and peak RSS ` +
        `from /proc/<pid>/stat (utime+stime) and /proc/<pid>/status (VmHWM, reset with clear_refs before the run` +
        `${peakReset ? '' : ' — reset refused, so sampled VmRSS every 250 ms instead'}); the emulator and the client run in ` +
        `other processes. "Whole process" is /usr/bin/time -v over the worker's life (start-up, the reference run, the batch).`,
      table: markdownTable(
        [
          'rollouts × domains',
          'wall (all at once)',
          '1 rollout alone',
          'worker CPU',
          'CPU / rollout',
          'CPU share of 1 core',
          'peak RSS',
          'RSS before',
          'events / rollout',
        ],
        [
          [
            `${rollouts} × ${perRollout}`,
            seconds(wallMs),
            seconds(aloneMs),
            seconds(cpuMs),
            `${Math.round(cpuMs / rollouts)} ms`,
            `${((cpuMs / wallMs) * 100).toFixed(0)} %`,
            bytes(peakRss),
            bytes(before.rssBytes),
            Math.round(mean(histories.map((h) => h.events))),
          ],
        ],
      ),
      more: [
        {
          caption: 'Worker process as a whole (/usr/bin/time -v)',
          table: markdownTable(
            ['user CPU', 'system CPU', 'max RSS', 'wall', 'RSS after start-up'],
            [
              timeV
                ? [
                    `${timeV.userSeconds.toFixed(2)} s`,
                    `${timeV.systemSeconds.toFixed(2)} s`,
                    bytes(timeV.maxRssKib * 1024),
                    timeV.wall,
                    bytes(startupSample.rssBytes),
                  ]
                : ['n/a', 'n/a', 'n/a', 'n/a', bytes(startupSample.rssBytes)],
            ],
          ),
        },
      ],
      notes: [
        `AWS calls during the batch: ${Object.entries(calls)
          .map(([k, v]) => `${k.replace(/^\w+:/, '')} ${v}`)
          .join(', ')}.`,
        `Ideal wall time for the batch is one rollout's (${seconds(aloneMs)}): ${(wallMs / aloneMs).toFixed(2)}× that.`,
      ],
    };
  } finally {
    await worker.stop();
  }
}

async function stopAndReport(worker: WorkerHandle) {
  await worker.stop();
  return parseTimeVerbose(worker.timeReport());
}
