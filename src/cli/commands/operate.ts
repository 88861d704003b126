import type { Client, WorkflowHandle } from '@temporalio/client';
import {
  approveRollout,
  cancelRollout,
  describeRollout,
  listRollouts,
  pauseRolloutById,
  resumeRolloutById,
  awaitRunEnd,
} from '../../client/index.js';
import { bool, num, onePositional, noPositionals, str, type Options } from '../args.js';
import type { Command } from '../command.js';
import type { CommandContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { table, when } from '../output.js';
import { reportEnd, resultLines } from '../report.js';
import { verificationText } from '../verification.js';
import { headline, itemsOf, watchRun } from '../watch.js';
import { placeLines } from '../places.js';
import { queuedCallsText } from '../../client/queued-calls.js';

/** The handle of an existing workflow; an unknown id is reported as such (exit code 2). */
async function existing(
  client: Client,
  workflowId: string,
): Promise<{ handle: WorkflowHandle; type: string; status: string }> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const d = await handle.describe();
    return { handle, type: d.type, status: d.status.name };
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError')
      throw new NotFoundError(`no rollout with workflow id '${workflowId}' in this namespace`);
    throw err;
  }
}

const WATCH_OPTIONS: Options = {
  interval: { type: 'string', arg: 'seconds', help: 'polling interval [1]' },
};

export const statusCommand: Command = {
  name: 'status',
  summary: 'where a rollout stands: status, progress while it runs, result once it ended',
  usage: 'status <workflow-id>',
  details: 'Exit code 0 while it runs or when it succeeded, 1 when it ended failed or cancelled.',
  options: {},
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const client = await ctx.client();
    await existing(client, id);
    const d = await describeRollout(client, id);
    const failed = d.executionStatus !== 'RUNNING' && d.executionStatus !== 'COMPLETED';
    ctx.out.result(d, () => {
      const lines = [
        `${d.workflowId}  ${d.kind}${d.target ? ` of ${d.target}` : ''}`,
        `  execution ${d.executionStatus}, rollout status ${d.rolloutStatus ?? '-'}${d.targetVersion ? `, target ${d.targetVersion}` : ''}`,
        `  started ${when(d.startTime)}${d.closeTime ? `, closed ${when(d.closeTime)}` : ''}, task queue ${d.taskQueue}`,
      ];
      if (d.staticSummary) lines.push(`  ${d.staticSummary}`);
      if (d.progress !== undefined) {
        lines.push(`  ${headline(d.progress)}`, ...placeLines(d.progress));
        if (d.queuedCalls && d.queuedCalls.count > 0) lines.push(`  ${queuedCallsText(d.queuedCalls)}`);
        for (const [name, item] of itemsOf(d.progress))
          lines.push(
            `    ${name.padEnd(28)} ${item.state}${typeof item.version === 'string' ? ` @ ${item.version}` : ''}${verificationText(item)}`,
          );
      }
      if (d.result !== undefined || d.failure)
        lines.push(
          ...resultLines(d.workflowId, { ok: !failed, result: d.result, failure: d.failure }).slice(1),
        );
      return lines;
    });
    return failed ? 1 : 0;
  },
};

export const watchCommand: Command = {
  name: 'watch',
  summary: 'live per-domain progress until the rollout ends, then its result',
  usage: 'watch <workflow-id> [--interval <seconds>]',
  details: 'With --json: one JSON line per change ({"type":"progress",...}), then {"type":"result",...}.',
  options: WATCH_OPTIONS,
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const client = await ctx.client();
    const { handle } = await existing(client, id);
    const intervalMs = Math.max(50, (num(ctx.values, 'interval', WATCH_OPTIONS) ?? 1) * 1000);
    const ended = await watchRun(handle, { intervalMs, out: ctx.out });
    return reportEnd(ctx.out, id, ended, { stream: true });
  },
};

const APPROVE_OPTIONS: Options = {
  wave: {
    type: 'string',
    arg: 'n',
    help: 'dictionary rollouts: approve up to this wave (1-based) [the next one]',
  },
  by: { type: 'string', arg: 'name', help: 'IoT releases: who approves, recorded in the result' },
};

export const approveCommand: Command = {
  name: 'approve',
  summary: 'approve the next wave of a dictionary rollout, or the publication of an IoT release',
  usage: 'approve <workflow-id> [--wave <n>] [--by <name>]',
  details:
    'Dictionary rollouts with --approval-between-waves wait before each wave after the first; IoT releases\n' +
    'with --publish after-approval wait before publishing. A run that waits for nothing refuses (exit 2).',
  options: APPROVE_OPTIONS,
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const wave = num(ctx.values, 'wave', APPROVE_OPTIONS);
    const by = str(ctx.values, 'by');
    const client = await ctx.client();
    await existing(client, id);
    const approved = await approveRollout(client, id, {
      ...(wave !== undefined ? { wave } : {}),
      ...(by !== undefined ? { approvedBy: by } : {}),
    });
    if ('approvedWave' in approved)
      ctx.out.result(
        { workflowId: id, approvedWave: approved.approvedWave },
        () => `${id}: approved up to wave ${approved.approvedWave}`,
      );
    else
      ctx.out.result(
        { workflowId: id, approval: approved.approval },
        () => `${id}: approved${approved.approval.approvedBy ? ` by ${approved.approval.approvedBy}` : ''}`,
      );
    return 0;
  },
};

export const pauseCommand: Command = {
  name: 'pause',
  summary: 'pause a dictionary rollout: nothing new starts; in-flight domains finish',
  usage: 'pause <workflow-id>',
  options: {},
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const client = await ctx.client();
    await existing(client, id);
    await pauseRolloutById(client, id);
    ctx.out.result({ workflowId: id, paused: true }, () => `${id}: paused (rollouts resume ${id} to go on)`);
    return 0;
  },
};

export const resumeCommand: Command = {
  name: 'resume',
  summary: 'resume a paused dictionary rollout',
  usage: 'resume <workflow-id>',
  options: {},
  connects: true,
  async run(ctx) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const client = await ctx.client();
    await existing(client, id);
    await resumeRolloutById(client, id);
    ctx.out.result({ workflowId: id, paused: false }, () => `${id}: resumed`);
    return 0;
  },
};

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'cancel a rollout gracefully: in-flight domains finish, then the failure policy applies',
  usage: 'cancel <workflow-id> [--wait]',
  details:
    'With --wait: prints where each domain ended; exit code 0 when the run ended cancelled or succeeded.',
  options: { wait: { type: 'boolean', help: 'wait until the run has ended and print its result' } },
  connects: true,
  async run(ctx: CommandContext) {
    const id = onePositional(ctx.positionals, 'workflow-id', ctx.command);
    const client = await ctx.client();
    const { handle, status } = await existing(client, id);
    if (status !== 'RUNNING') {
      ctx.out.result(
        { workflowId: id, cancelRequested: false, executionStatus: status },
        () => `${id}: already ended (${status})`,
      );
      return 0;
    }
    await cancelRollout(client, id);
    if (!bool(ctx.values, 'wait')) {
      ctx.out.result({ workflowId: id, cancelRequested: true }, () => `${id}: cancellation requested`);
      return 0;
    }
    const ended = await awaitRunEnd(handle);
    const code = reportEnd(ctx.out, id, ended);
    // The cancel did what was asked when the run ended cancelled (or finished first).
    return ended.ok || ended.failure?.type === 'RolloutCancelled' ? 0 : code;
  },
};

const LIST_OPTIONS: Options = {
  kind: {
    type: 'string',
    arg: 'kind',
    help: 'dictionary | removal | attach | iot-release (or a workflow type)',
  },
  status: {
    type: 'string',
    arg: 'status',
    help: 'running | waiting-for-approval | paused | succeeded | unchanged | partial | failed | rolled-back | cancelled',
  },
  target: { type: 'string', arg: 'name', help: 'the package (or application, IoT package) rolled out' },
  domain: {
    type: 'string',
    arg: 'domain',
    help: 'rollouts that include this domain (a placed one by its target key, e.g. eu-west-1:name)',
  },
  region: { type: 'string', arg: 'region', help: 'fleet rollouts with domains in this Region' },
  limit: { type: 'string', arg: 'n', help: 'at most this many, newest first [20]' },
};

export const listCommand: Command = {
  name: 'list',
  summary: 'recent rollouts, filtered by the search attributes each run keeps current',
  usage:
    'list [--kind <kind>] [--status <status>] [--target <name>] [--domain <domain>] [--region <region>] [--limit <n>]',
  details:
    'Temporal visibility is eventually consistent: a run started a moment ago may show a moment later.',
  options: LIST_OPTIONS,
  connects: true,
  async run(ctx) {
    noPositionals(ctx.positionals, ctx.command);
    const rows = await listRollouts(await ctx.client(), {
      kind: str(ctx.values, 'kind'),
      status: str(ctx.values, 'status'),
      target: str(ctx.values, 'target'),
      domain: str(ctx.values, 'domain'),
      region: str(ctx.values, 'region'),
      limit: num(ctx.values, 'limit', LIST_OPTIONS) ?? 20,
    });
    ctx.out.result(rows, () =>
      rows.length === 0
        ? 'no rollouts match'
        : table(
            ['WORKFLOW ID', 'KIND', 'TARGET', 'STATUS', 'EXECUTION', 'VERSION', 'FAILED', 'STARTED'],
            rows.map((r) => [
              r.workflowId,
              r.kind,
              r.target ?? '',
              r.rolloutStatus ?? '',
              r.executionStatus,
              r.targetVersion ?? '',
              r.failedDomains === undefined ? '' : String(r.failedDomains),
              when(r.startTime),
            ]),
          ),
    );
    return 0;
  },
};
