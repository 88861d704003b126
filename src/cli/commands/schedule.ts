import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import {
  createDictionaryRefreshSchedule,
  deleteSchedule,
  describeDictionaryRefreshSchedule,
  listDictionaryRefreshSchedules,
  OVERLAP_POLICIES,
  pauseSchedule,
  awaitRunEnd,
  triggerSchedule,
  unpauseSchedule,
  validateDictionaryRefresh,
  type OverlapPolicy,
} from '../../client/index.js';
import { InvalidInputError } from '../../model/validation.js';
import { bool, noPositionals, onePositional, str, type Options } from '../args.js';
import type { Command } from '../command.js';
import { NotFoundError } from '../errors.js';
import { table, when } from '../output.js';
import { reportEnd } from '../report.js';
import { buildDictionaryInput, DICTIONARY_INPUT_OPTIONS } from './dictionary.js';

/** Any schedule call on an unknown id says so plainly (exit code 2). */
async function known<T>(scheduleId: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError || (err as Error).name === 'ScheduleNotFoundError')
      throw new NotFoundError(`no schedule with id '${scheduleId}' in this namespace`);
    throw err;
  }
}

const { file: _file, text: _text, ...refreshInputOptions } = DICTIONARY_INPUT_OPTIONS;

const CREATE_OPTIONS: Options = {
  every: {
    type: 'string',
    arg: 'duration',
    help: "run on this interval: '15m', '6h', '1d', '1h30m'",
    field: 'every',
  },
  cron: {
    type: 'string',
    multiple: true,
    arg: 'expr',
    help: "run on this cron expression, e.g. '0 3 * * *' (UTC)",
    field: 'cron',
  },
  timezone: { type: 'string', arg: 'tz', help: 'time zone for --cron, e.g. Europe/Berlin [UTC]' },
  overlap: {
    type: 'string',
    arg: 'policy',
    help: `when a run is due while the last still runs: ${OVERLAP_POLICIES.join(' | ')} [SKIP]`,
    field: 'overlap',
  },
  paused: { type: 'boolean', help: 'create it paused' },
  note: { type: 'string', arg: 'text', help: 'a note shown with the schedule (e.g. why it is paused)' },
  'schedule-id': { type: 'string', arg: 'id', help: 'default dictionary-refresh/<package-name>' },
  ...refreshInputOptions,
};

export const scheduleCreateCommand: Command = {
  name: 'schedule create',
  summary: 'schedule a dictionary refresh from a URL or S3 object (interval or cron, overlap SKIP)',
  usage:
    'schedule create (--every <duration> | --cron <expr>) --package-name <name>\n' +
    '                    (--source-url <url> | --source-s3 <s3://b/k>) --staging-bucket <bucket> --domains <a,b,c> [options]',
  details: [
    'Each run re-reads the source. When the content has not changed the run ends quickly with',
    "outcome 'unchanged' and changes nothing in AWS. A run due while the previous one still runs is",
    'skipped (--overlap SKIP). Runs get workflow ids <schedule-id>-<scheduled time>.',
  ].join('\n'),
  options: CREATE_OPTIONS,
  connects: true,
  async run(ctx) {
    noPositionals(ctx.positionals, ctx.command);
    const { input } = await buildDictionaryInput(ctx.values, { command: ctx.command });
    const options = {
      input,
      every: str(ctx.values, 'every'),
      cron: ctx.values.cron as string[] | undefined,
      timezone: str(ctx.values, 'timezone'),
      overlap: str(ctx.values, 'overlap')?.toUpperCase() as OverlapPolicy | undefined,
      paused: bool(ctx.values, 'paused'),
      note: str(ctx.values, 'note'),
      scheduleId: str(ctx.values, 'schedule-id'),
      taskQueue: ctx.config().taskQueue,
    };
    validateDictionaryRefresh(options); // bad input is exit code 2 before connecting
    const { scheduleId } = await createDictionaryRefreshSchedule(await ctx.client(), options);
    const d = await describeDictionaryRefreshSchedule(await ctx.client(), scheduleId);
    ctx.out.result({ created: true, ...d }, () => [
      `Created schedule ${scheduleId}${d.paused ? ' (paused)' : ''}: ${d.every ? `every ${d.every}` : ''}${d.cron ? ` cron ${d.cron.join('; ')}` : ''}, overlap ${d.overlap}`,
      `  next runs: ${d.nextRunTimes.slice(0, 3).map(when).join(', ') || '-'}`,
      `  run now:   rollouts schedule trigger ${scheduleId} --wait`,
    ]);
    return 0;
  },
};

export const scheduleListCommand: Command = {
  name: 'schedule list',
  summary: 'dictionary refresh schedules in the namespace',
  usage: 'schedule list',
  options: {},
  connects: true,
  async run(ctx) {
    noPositionals(ctx.positionals, ctx.command);
    const rows = await listDictionaryRefreshSchedules(await ctx.client());
    ctx.out.result(rows, () =>
      rows.length === 0
        ? 'no dictionary refresh schedules'
        : table(
            ['SCHEDULE ID', 'PACKAGE', 'SPEC', 'STATE', 'LAST RUN', 'NEXT RUN'],
            rows.map((r) => [
              r.scheduleId,
              r.packageName ?? '',
              [r.every && `every ${r.every}`, r.cron && `cron ${r.cron.join('; ')}`]
                .filter(Boolean)
                .join(' '),
              r.paused ? 'paused' : 'active',
              r.recentRuns.at(-1)?.workflowId ?? '-',
              when(r.nextRunTimes[0]) || '-',
            ]),
          ),
    );
    return 0;
  },
};

export const scheduleDescribeCommand: Command = {
  name: 'schedule describe',
  summary: 'a schedule: spec, state, source, recent and next runs',
  usage: 'schedule describe <schedule-id>',
  options: {},
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'schedule-id', ctx.command);
    const client = await ctx.client();
    const d = await known(id, () => describeDictionaryRefreshSchedule(client, id));
    const source =
      d.source?.kind === 's3'
        ? `s3://${d.source.bucket}/${d.source.key}`
        : d.source?.kind === 'url'
          ? d.source.url
          : '-';
    ctx.out.result(d, () => [
      `${d.scheduleId}: ${d.paused ? 'PAUSED' : 'active'}${d.note ? ` (${d.note})` : ''}`,
      `  package ${d.packageName ?? '-'} from ${source} to ${d.domains?.length ?? 0} domain(s), task queue ${d.taskQueue ?? '-'}`,
      `  spec: ${[d.every && `every ${d.every}`, d.cron && `cron ${d.cron.join('; ')}`].filter(Boolean).join(', ')}; overlap ${d.overlap}`,
      `  runs taken ${d.runsTaken}, skipped for overlap ${d.runsSkippedForOverlap}, running now: ${d.runningWorkflowIds.join(', ') || 'none'}`,
      `  recent: ${d.recentRuns.map((r) => r.workflowId).join(', ') || '-'}`,
      `  next:   ${d.nextRunTimes.slice(0, 3).map(when).join(', ') || '-'}`,
    ]);
    return 0;
  },
};

function noteCommand(name: 'pause' | 'unpause'): Command {
  return {
    name: `schedule ${name}`,
    summary: name === 'pause' ? 'pause a schedule (no runs until unpaused)' : 'unpause a schedule',
    usage: `schedule ${name} <schedule-id> [--note <text>]`,
    options: { note: { type: 'string', arg: 'text', help: 'why (shown with the schedule)' } },
    connects: true,
    async run(ctx) {
      const id = onePositional(ctx.positionals, 'schedule-id', ctx.command);
      const client: Client = await ctx.client();
      const note = str(ctx.values, 'note');
      await known(id, () =>
        name === 'pause' ? pauseSchedule(client, id, note) : unpauseSchedule(client, id, note),
      );
      ctx.out.result({ scheduleId: id, paused: name === 'pause' }, () => `${id}: ${name}d`);
      return 0;
    },
  };
}
export const schedulePauseCommand = noteCommand('pause');
export const scheduleUnpauseCommand = noteCommand('unpause');

const TRIGGER_OPTIONS: Options = {
  wait: {
    type: 'boolean',
    help: 'wait for the run to end and print its result (exit code from the outcome)',
  },
  overlap: { type: 'string', arg: 'policy', help: "override the schedule's overlap policy for this run" },
};

export const scheduleTriggerCommand: Command = {
  name: 'schedule trigger',
  summary: "run a schedule's refresh now (its overlap policy applies)",
  usage: 'schedule trigger <schedule-id> [--wait]',
  details: 'Exit code 1 when the overlap policy skipped the run (the previous one still runs).',
  options: TRIGGER_OPTIONS,
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'schedule-id', ctx.command);
    const client = await ctx.client();
    const overlap = str(ctx.values, 'overlap')?.toUpperCase() as OverlapPolicy | undefined;
    if (overlap !== undefined && !OVERLAP_POLICIES.includes(overlap))
      throw new InvalidInputError('command line', [
        { field: 'overlap', rule: `must be one of ${OVERLAP_POLICIES.join(', ')}` },
      ]);
    const outcome = await known(id, () => triggerSchedule(client, id, overlap ? { overlap } : {}));
    if (!outcome.started) {
      ctx.out.result({ scheduleId: id, started: false, reason: outcome.reason }, () =>
        outcome.reason === 'skipped-overlap'
          ? `${id}: not started: the previous run still runs (overlap policy)`
          : `${id}: triggered, but no run was seen starting yet (see rollouts schedule describe ${id})`,
      );
      return 1;
    }
    if (!bool(ctx.values, 'wait')) {
      ctx.out.result({ scheduleId: id, started: true, ...outcome.run }, () => [
        `${id}: started ${outcome.run.workflowId}`,
        `  progress: rollouts watch ${outcome.run.workflowId}`,
      ]);
      return 0;
    }
    ctx.out.line(`${id}: started ${outcome.run.workflowId}`);
    const ended = await awaitRunEnd(client.workflow.getHandle(outcome.run.workflowId, outcome.run.runId));
    return reportEnd(ctx.out, outcome.run.workflowId, ended);
  },
};

export const scheduleDeleteCommand: Command = {
  name: 'schedule delete',
  summary: 'delete a schedule (a run in progress goes on)',
  usage: 'schedule delete <schedule-id>',
  options: {},
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'schedule-id', ctx.command);
    const client = await ctx.client();
    await known(id, () => deleteSchedule(client, id));
    ctx.out.result({ scheduleId: id, deleted: true }, () => `${id}: deleted`);
    return 0;
  },
};
