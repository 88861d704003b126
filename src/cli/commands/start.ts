import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { settle } from '../../client/index.js';
import { bool, num, type Options } from '../args.js';
import type { CommandContext } from '../context.js';
import { reportEnd } from '../report.js';
import { watchRun } from '../watch.js';

/** What every start command accepts besides its input fields. */
export const START_OPTIONS: Options = {
  'workflow-id': {
    type: 'string',
    arg: 'id',
    help: 'override the workflow id (default: derived from the target)',
  },
  wait: { type: 'boolean', help: 'wait for the end and print the result (exit code from the outcome)' },
  watch: { type: 'boolean', help: 'show live progress until the end, then the result (implies --wait)' },
  interval: { type: 'string', arg: 'seconds', help: 'progress polling interval for --watch [1]' },
  'print-input': { type: 'boolean', help: 'validate and print the workflow input as JSON; start nothing' },
};

export function intervalMs(ctx: CommandContext, options: Options): number {
  const s = num(ctx.values, 'interval', options) ?? 1;
  return Math.max(50, s * 1000);
}

/** Start functions return a plain WorkflowHandle; the started one carries its first run id. */
export function runIdOf(handle: WorkflowHandle): string | undefined {
  const id = (handle as Partial<WorkflowHandleWithFirstExecutionRunId>).firstExecutionRunId;
  return typeof id === 'string' ? id : undefined;
}

/** After a start: print the id, and with --wait / --watch follow the run to its end. */
export async function followStarted(
  ctx: CommandContext,
  handle: WorkflowHandle,
  what: string,
): Promise<number> {
  const { out } = ctx;
  const waiting = bool(ctx.values, 'wait') || bool(ctx.values, 'watch');
  const started = {
    workflowId: handle.workflowId,
    runId: runIdOf(handle),
    taskQueue: ctx.config().taskQueue,
  };
  if (!waiting) {
    out.result({ started: true, ...started }, () => [
      `Started ${what} ${started.workflowId} (run ${started.runId}) on task queue ${started.taskQueue}`,
      `  progress: rollouts watch ${started.workflowId}`,
      `  result:   rollouts status ${started.workflowId}`,
    ]);
    return 0;
  }
  if (out.json) {
    // Streaming: one line per event, the last one the result.
    if (bool(ctx.values, 'watch')) out.jsonLine({ type: 'started', ...started });
  } else out.line(`Started ${what} ${started.workflowId} (run ${started.runId})`);
  const watching = bool(ctx.values, 'watch');
  const ended = watching
    ? await watchRun(handle, { intervalMs: intervalMs(ctx, START_OPTIONS), out })
    : await settle(handle);
  return reportEnd(out, handle.workflowId, ended, { stream: watching });
}
