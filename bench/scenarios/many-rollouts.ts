import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { allOrFirstError, rootCause } from '../lib/errors.js';
import { bytes, markdownTable, mean, seconds } from '../lib/format.js';
import { historyFigures } from '../lib/history.js';
import { parseTimeVerbose, resetPeakRss, sampleProcess } from '../lib/processes.js';
import { dictionaryText, domainNames, durationsFor, policyFor, type RolloutSpec } from '../lib/rollouts.js';
import { STAGING_BUCKET, STAGING_PREFIX, type WorkerHandle } from '../lib/stack.js';

interface BatchFigures {
  slots: number;
  wallMs: number;
  cpuMs: number;
  peakRss: number;
  rssBefore: number;
  peakReset: boolean;
  serverCpuMs?: number;
  emulatorCpuMs?: number;
  eventsPerRollout: number;
  calls: Record<string, number>;
}

/** CPU used so far by a process, or undefined when it cannot be read. */
function cpuOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    return sampleProcess(pid).cpuMs;
  } catch {
    return undefined;
  }
}

/**
 * Scenario 5: many rollouts at once on one worker process: wall time, CPU and peak RSS from the OS
 * (the worker's, and the dev server's and emulator's CPU, since all share the machine's cores).
 */
export async function manyRollouts(ctx: BenchContext): Promise<ScenarioReport> {
  const { config, stack } = ctx;
  const { rollouts, domains: perRollout, maxConcurrency, workerSlots } = config.many;
  const spec: RolloutSpec = {
    domains: perRollout,
    maxConcurrency,
    associationMs: config.associationMs,
    pollIntervalSeconds: config.pollIntervalSeconds,
  };
  const groups = Array.from({ length: rollouts }, (_, r) =>
    domainNames(perRollout, `m${String(r + 1).padStart(2, '0')}`),
  );

  const runOne = async (worker: WorkerHandle, domains: string[]) => {
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

  const measureBatch = async (worker: WorkerHandle, slots: number): Promise<BatchFigures> => {
    await stack.resetAws({ durations: durationsFor(spec), domains: groups.flat() });
    const peakReset = resetPeakRss(worker.pid);
    const before = sampleProcess(worker.pid);
    const serverBefore = cpuOf(stack.serverPid);
    const emulatorBefore = cpuOf(stack.emulator.pid);
    ctx.log(`scenario 5: ${rollouts} rollouts of ${perRollout} domains at once (${slots} activity slots)...`);
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
      ids = await allOrFirstError(groups.map((g) => runOne(worker, g)));
    } finally {
      clearInterval(sampler);
    }
    const wallMs = performance.now() - started;
    const after = sampleProcess(worker.pid);
    const serverAfter = cpuOf(stack.serverPid);
    const emulatorAfter = cpuOf(stack.emulator.pid);
    const histories = await allOrFirstError(ids.map((id) => historyFigures(stack.client, id)));
    return {
      slots,
      wallMs,
      cpuMs: after.cpuMs - before.cpuMs,
      peakRss: peakReset ? after.peakRssBytes : Math.max(peakSeen, after.rssBytes),
      rssBefore: before.rssBytes,
      peakReset,
      ...(serverBefore !== undefined && serverAfter !== undefined
        ? { serverCpuMs: serverAfter - serverBefore }
        : {}),
      ...(emulatorBefore !== undefined && emulatorAfter !== undefined
        ? { emulatorCpuMs: emulatorAfter - emulatorBefore }
        : {}),
      eventsPerRollout: Math.round(mean(histories.map((h) => h.events))),
      calls: await stack.control.callCounts(),
    };
  };

  ctx.log('scenario 5: starting a fresh worker process under /usr/bin/time -v...');
  const worker = await stack.startWorker({ timed: true });
  const startupSample = sampleProcess(worker.pid);
  const batches: BatchFigures[] = [];
  let aloneMs: number;
  let attempt:
    | { rollouts: number; domains: number; ok: number; failures: Map<string, number>; wallMs: number }
    | undefined;
  let timeV: ReturnType<typeof parseTimeVerbose>;
  try {
    await stack.resetAws({ durations: durationsFor(spec), domains: groups[0]! });
    ctx.log('scenario 5: one rollout alone (reference, also warms the worker up)...');
    const aloneStart = performance.now();
    await runOne(worker, groups[0]!);
    aloneMs = performance.now() - aloneStart;

    batches.push(await measureBatch(worker, 100));

    if (config.many.attempt) {
      const { rollouts: n, domains: d } = config.many.attempt;
      const attemptGroups = Array.from({ length: n }, (_, r) =>
        domainNames(d, `a${String(r + 1).padStart(2, '0')}`),
      );
      await stack.resetAws({ durations: durationsFor(spec), domains: attemptGroups.flat() });
      ctx.log(`scenario 5: attempting ${n} rollouts of ${d} domains at once...`);
      const t = performance.now();
      const settled = await Promise.allSettled(attemptGroups.map((g) => runOne(worker, g)));
      const failures = new Map<string, number>();
      for (const s of settled)
        if (s.status === 'rejected') {
          const why = rootCause(s.reason).replace(/package [\w-]+/gi, 'package …');
          failures.set(why, (failures.get(why) ?? 0) + 1);
        }
      attempt = {
        rollouts: n,
        domains: d,
        ok: settled.filter((s) => s.status === 'fulfilled').length,
        failures,
        wallMs: performance.now() - t,
      };
    }
  } finally {
    await worker.stop();
    timeV = parseTimeVerbose(worker.timeReport());
  }

  for (const slots of workerSlots.filter((s) => s !== 100)) {
    ctx.log(`scenario 5: a worker with ${slots} activity slots...`);
    const wide = await stack.startWorker({ maxActivities: slots });
    try {
      await stack.resetAws({ durations: durationsFor(spec), domains: groups[0]! });
      await runOne(wide, groups[0]!); // warm-up, not measured
      batches.push(await measureBatch(wide, slots));
    } finally {
      await wide.stop();
    }
  }

  const first = batches[0]!;
  const pct = (part: number | undefined, wallMs: number) =>
    part === undefined ? undefined : `${((part / wallMs) * 100).toFixed(0)} %`;
  return {
    id: 5,
    title: 'Many rollouts at once',
    setup:
      `${rollouts} dictionary rollouts of ${perRollout} domains each (distinct domains and packages), started together on ` +
      `one worker process, window C=${maxConcurrency} per rollout (so ${rollouts * maxConcurrency} associations in ` +
      `flight at once), ${config.associationMs / 1000} s association, poll every ${config.pollIntervalSeconds} s. ` +
      `Worker CPU and peak RSS from /proc/<pid>/stat (utime+stime) and /proc/<pid>/status (VmHWM, reset with ` +
      `clear_refs before the batch${first.peakReset ? '' : ' — reset refused, so VmRSS sampled every 250 ms instead'}); ` +
      `the dev server's and the emulator's CPU the same way (each its own process; the client runs in the benchmark's ` +
      `process). "CPU share" is CPU time ÷ wall time (100 % = one core; the machine has 2). The first row is the ` +
      `worker's default of 100 concurrent activities; the whole-process table is /usr/bin/time -v over that worker's ` +
      `life (start-up, the reference run, the batch${config.many.attempt ? ', the attempt below' : ''}).`,
    table: markdownTable(
      [
        'rollouts × domains',
        'activity slots',
        'wall (all at once)',
        '1 rollout alone',
        'worker CPU',
        'CPU / rollout',
        'worker CPU share',
        'dev server CPU share',
        'emulator CPU share',
        'peak RSS',
        'RSS before',
        'events / rollout',
      ],
      batches.map((b) => [
        `${rollouts} × ${perRollout}`,
        b.slots,
        seconds(b.wallMs),
        seconds(aloneMs),
        seconds(b.cpuMs),
        `${Math.round(b.cpuMs / rollouts)} ms`,
        pct(b.cpuMs, b.wallMs),
        pct(b.serverCpuMs, b.wallMs),
        pct(b.emulatorCpuMs, b.wallMs),
        bytes(b.peakRss),
        bytes(b.rssBefore),
        b.eventsPerRollout,
      ]),
    ),
    more: [
      {
        caption: 'Worker process as a whole (/usr/bin/time -v, the 100-slot worker)',
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
      `AWS calls during the first batch: ${Object.entries(first.calls)
        .map(([k, v]) => `${k.replace(/^\w+:/, '')} ${v}`)
        .join(', ')}.`,
      `Ideal wall time for a batch is one rollout's (${seconds(aloneMs)}): ${batches
        .map((b) => `${(b.wallMs / aloneMs).toFixed(2)}× that with ${b.slots} slots`)
        .join(', ')}.`,
      ...(attempt
        ? [
            `${attempt.rollouts} × ${attempt.domains} at once (the issue's figure): ${attempt.ok} of ${attempt.rollouts} ` +
              `rollouts completed in ${seconds(attempt.wallMs)}; the others failed: ` +
              `${[...attempt.failures].map(([why, k]) => `${k} × "${why}"`).join('; ') || 'none'}. Every rollout ` +
              `creates a package of its own, and the emulator, like AWS by default, allows 25 custom packages per ` +
              `Region (MAX_PACKAGES_PER_REGION in src/emulator/opensearch-packages.ts), so more than 25 rollouts of distinct ` +
              `packages cannot run at once in one Region: ${rollouts} × ${perRollout} (the same ` +
              `${rollouts * perRollout} domains) is the measured batch.`,
          ]
        : []),
    ],
  };
}
