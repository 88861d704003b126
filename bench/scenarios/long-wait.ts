import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import {
  dataSourceAttachmentResult,
  startDataSourceAttachment,
} from '../../src/client/data-source-attachment.js';
import type { BenchContext, ScenarioReport } from '../lib/context.js';
import { bytes, markdownTable, seconds } from '../lib/format.js';
import { historyFigures } from '../lib/history.js';
import { sampleProcess } from '../lib/processes.js';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

interface WaitRun {
  label: string;
  emulatedMs: number;
  realMs: number;
  polls: number;
  events: number;
  bytes: number;
  cpuMs: number;
  wallMs: number;
}

/**
 * Scenario 6: a data source attachment that stays PENDING for (nearly) AWS's 24 hours. The
 * emulator's clock runs fast, so the emulator sees 23 hours pass while the workflow polls for a
 * minute of real time; the history and the worker's CPU show what the wait costs.
 */
export async function longWait(ctx: BenchContext): Promise<ScenarioReport> {
  const { stack, config } = ctx;
  const { emulatedMs, realMs, pollIntervalSeconds } = config.longWait;
  const worker = stack.worker;

  ctx.log('scenario 6: idle worker CPU (baseline)...');
  const idleMs = config.quick ? 2000 : 15_000;
  const idleBefore = sampleProcess(worker.pid).cpuMs;
  await sleep(idleMs);
  const idleCpuPerMinute = ((sampleProcess(worker.pid).cpuMs - idleBefore) / idleMs) * 60_000;

  let maximumAttempts = 0;
  const run = async (label: string, pendingEmulatedMs: number, pendingRealMs: number): Promise<WaitRun> => {
    await stack.control.reset();
    const domain = 'attach-source';
    await stack.control.seedDomains([{ name: domain }]);
    const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: 'bench-app' }));
    const dataSourceArn = `arn:aws:es:${REGION}:${ACCOUNT}:domain/${domain}`;
    await stack.control.setDataSourceStatus(dataSourceArn, 'PROCESSING');
    await stack.control.setClock({ scale: pendingEmulatedMs / pendingRealMs });
    const cpuBefore = sampleProcess(worker.pid).cpuMs;
    const started = performance.now();
    const { handle, workflowId } = await startDataSourceAttachment(
      stack.client,
      { applicationId: app.id!, dataSourceArn, pollIntervalSeconds },
      { taskQueue: worker.taskQueue },
    );
    let result: Awaited<ReturnType<typeof dataSourceAttachmentResult>>;
    try {
      await sleep(pendingRealMs);
      await stack.control.setDataSourceStatus(dataSourceArn, 'ACTIVE');
      result = await dataSourceAttachmentResult(handle);
    } finally {
      await stack.control.setClock({ scale: 1 });
    }
    const wallMs = performance.now() - started;
    const cpuMs = sampleProcess(worker.pid).cpuMs - cpuBefore;
    if (result.status !== 'ATTACHED') throw new Error(`attachment ended ${String(result.status)}`);
    const history = await historyFigures(stack.client, workflowId);
    maximumAttempts = Math.max(
      maximumAttempts,
      history.activities.waitForDataSourceAttachment?.maximumAttempts ?? 0,
    );
    return {
      label,
      emulatedMs: pendingEmulatedMs,
      realMs: pendingRealMs,
      polls: result.polls,
      events: history.events,
      bytes: history.bytes,
      cpuMs,
      wallMs,
    };
  };

  ctx.log('scenario 6: warm-up attachment (not measured)...');
  await run('warm-up', 60_000, 1000);
  ctx.log('scenario 6: short PENDING wait...');
  const shortRealMs = Math.max(1500, Math.round(realMs / 5));
  const short = await run('short', Math.round((emulatedMs * shortRealMs) / realMs), shortRealMs);
  ctx.log(`scenario 6: long PENDING wait (${seconds(realMs)} real)...`);
  const long = await run('long', emulatedMs, realMs);
  const cpuPerPoll = (long.cpuMs - short.cpuMs) / Math.max(1, long.polls - short.polls);
  const pollsPerDay = (24 * 3600) / 30;

  return {
    id: 6,
    title: 'Long wait',
    setup:
      `dataSourceAttachment of a domain whose data source stays PROCESSING, so the attachment stays PENDING; the emulator's ` +
      `clock runs ${Math.round(emulatedMs / realMs)}× faster than real time, then the data source turns ACTIVE and the ` +
      `attachment becomes ATTACHED. The workflow polls DescribeDataSourceAttachment every ${pollIntervalSeconds} s of real ` +
      `time (one activity retried by Temporal). Worker CPU from /proc/<pid>/stat over the run, the long-lived worker ` +
      `process (the emulator and the client are other processes).`,
    table: markdownTable(
      [
        'wait',
        'PENDING (emulator clock)',
        'real wait',
        'wall',
        'polls',
        'events',
        'history bytes',
        'worker CPU',
      ],
      [short, long].map((r) => [
        r.label,
        `${(r.emulatedMs / 3600_000).toFixed(1)} h`,
        seconds(r.realMs),
        seconds(r.wallMs),
        r.polls,
        r.events,
        bytes(r.bytes),
        `${Math.round(r.cpuMs)} ms`,
      ]),
    ),
    notes: [
      `Events: ${short.events} for the short wait, ${long.events} for the long one (${long.polls} polls): the wait costs ` +
        `polls, not history.`,
      `Worker CPU per poll: ${(long.cpuMs / Math.max(1, long.polls)).toFixed(1)} ms as the long wait's CPU ÷ its ` +
        `polls (an upper bound: it includes starting and finishing the run); ` +
        (cpuPerPoll > 0
          ? `${cpuPerPoll.toFixed(1)} ms from the difference between the two waits`
          : `the difference between the two waits is below measurement noise`) +
        ` (/proc counts CPU in 10 ms ticks). Idle worker: ${Math.round(idleCpuPerMinute)} ms CPU per minute, ` +
        `measured over ${seconds(idleMs)} with nothing running.`,
      `A real 24-hour wait at the default 30 s poll interval would be ${pollsPerDay} polls ≈ ` +
        `${seconds(pollsPerDay * (long.cpuMs / Math.max(1, long.polls)))} of worker CPU at most (the upper bound ` +
        `above), with the same ${long.events} events.`,
      ...(maximumAttempts > 0
        ? [
            `The recorded retry policy of waitForDataSourceAttachment has maximumAttempts = ${maximumAttempts} (the ` +
              `workflow's call options, deep-merged by executeWithOptions into the polling options), so today the ` +
              `wait ends after ${maximumAttempts} polls (${maximumAttempts} × the poll interval), not at the 24-hour ` +
              `wait limit; the poll interval here (${pollIntervalSeconds} s) keeps the long wait under that (${long.polls} ` +
              `polls). See docs/benchmarks.md.`,
          ]
        : []),
    ],
  };
}
