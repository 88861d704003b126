import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { z } from 'zod';
import { awaitRunEnd } from '../../client/index.js';
import { parseStartInput, startParsed, type StartSpec } from '../../client/start.js';
import { bool, num, readJsonFile, str, type Options, type Values } from '../args.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../errors.js';
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

/**
 * A start command's input: the JSON object from --input, with `set` for the flags that override
 * its fields (a flag not given leaves the field as it is).
 */
export function inputWithFlags(
  values: Values,
  command: string,
  what: string,
): { input: Record<string, unknown>; set(field: string, value: unknown): void } {
  const fromFile = str(values, 'input');
  const base = fromFile ? readJsonFile(fromFile, '--input') : {};
  if (!base || typeof base !== 'object' || Array.isArray(base))
    throw new UsageError(`--input must hold a JSON object (the ${what} input)`, command);
  const input: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  return {
    input,
    set(field, value) {
      if (value !== undefined) input[field] = value;
    },
  };
}

export interface StartHooks<P> {
  /** Said to the person before anything starts (warnings, where a file goes). */
  notices?(params: P): string[];
  /** Said with --print-input, which starts nothing. */
  printNotices?(params: P): string[];
  /** Runs once connected, just before the start (e.g. the upload of a --file). */
  beforeStart?(params: P): Promise<void>;
}

/**
 * Every start command ends here: the input parsed once (the schema fills in its defaults and names
 * every broken field), printed with --print-input, else started through the client's spec with
 * the task queue (and --workflow-id where the workflow allows one), and followed with --wait /
 * --watch.
 */
export async function startFromCli<W extends Workflow, S extends z.ZodType>(
  ctx: CommandContext,
  spec: StartSpec<W, S>,
  input: unknown,
  what: string,
  hooks: StartHooks<z.output<S>> = {},
): Promise<number> {
  const workflowId = str(ctx.values, 'workflow-id');
  if (workflowId !== undefined && spec.fixedWorkflowId)
    throw new UsageError(`--workflow-id is refused for a ${what}: ${spec.fixedWorkflowId}`, ctx.command);
  const params = parseStartInput(spec, input);
  for (const notice of hooks.notices?.(params) ?? []) ctx.out.notice(notice);
  if (bool(ctx.values, 'print-input')) {
    for (const notice of hooks.printNotices?.(params) ?? []) ctx.out.notice(notice);
    ctx.out.result(params, () => JSON.stringify(params, null, 2));
    return 0;
  }
  const client = await ctx.client();
  await hooks.beforeStart?.(params);
  const { handle } = await startParsed(client, spec, params, {
    taskQueue: ctx.config().taskQueue,
    ...(workflowId !== undefined ? { workflowId } : {}),
  });
  return followStarted(ctx, handle, what);
}

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
async function followStarted(ctx: CommandContext, handle: WorkflowHandle, what: string): Promise<number> {
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
    : await awaitRunEnd(handle);
  return reportEnd(out, handle.workflowId, ended, { stream: watching });
}
