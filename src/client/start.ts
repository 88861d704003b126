/**
 * The one way this client starts a workflow: parse the input with the workflow's own schema
 * (InvalidInputError before anything starts), derive the workflow id, describe the run for the
 * Web UI, start it with its id policy, and turn Temporal's "already started" into the workflow's
 * own error. Each workflow's client file declares a StartSpec; the CLI starts through the same.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { SearchAttributePair, Workflow, WorkflowIdConflictPolicy } from '@temporalio/common';
import type { z } from 'zod';
import { DEFAULT_TASK_QUEUE, type WorkflowType } from '../model/constants.js';
import { InvalidInputError, parseOrThrow } from '../model/validation.js';

export interface StartSpec<W extends Workflow, S extends z.ZodType> {
  workflowType: WorkflowType;
  /** The schema the workflow validates with: it fills in every default. */
  schema: S;
  /** What the input is called in error messages, e.g. 'dictionary rollout input'. */
  what: string;
  workflowId(params: z.output<S>): string;
  /** Why the workflow id cannot be chosen by the caller, when it cannot. */
  fixedWorkflowId?: string;
  /** The Web UI's summary (one line, at most 200 bytes) and details (Markdown). */
  describe(params: z.output<S>): { summary: string; details: string };
  searchAttributes(params: z.output<S>): SearchAttributePair[];
  /** FAIL: a second start while one runs is refused; USE_EXISTING: it joins the running run. */
  idConflictPolicy: WorkflowIdConflictPolicy;
  /** The error a refused second start becomes (with FAIL). */
  alreadyRunning?(workflowId: string): Error;
  memo?(params: z.output<S>): Record<string, unknown>;
  /** Marks the spec's workflow function type; never set. */
  readonly workflow?: W;
}

export interface StartOptions {
  taskQueue?: string;
  /** Only where the spec lets the caller choose the id. */
  workflowId?: string;
}

export interface Started<W extends Workflow> {
  workflowId: string;
  handle: WorkflowHandle<W>;
}

/** The workflow's input with its defaults filled in, or InvalidInputError naming every broken field. */
export function parseStartInput<W extends Workflow, S extends z.ZodType>(
  spec: StartSpec<W, S>,
  input: unknown,
): z.output<S> {
  return parseOrThrow(spec.schema, input, spec.what);
}

/** Starts a workflow with input already parsed by parseStartInput. */
export async function startParsed<W extends Workflow, S extends z.ZodType>(
  client: Client,
  spec: StartSpec<W, S>,
  params: z.output<S>,
  options: StartOptions = {},
): Promise<Started<W>> {
  if (options.workflowId !== undefined && spec.fixedWorkflowId)
    throw new InvalidInputError('start options', [{ field: 'workflowId', rule: spec.fixedWorkflowId }]);
  const workflowId = options.workflowId ?? spec.workflowId(params);
  const { summary, details } = spec.describe(params);
  try {
    // The workflow takes its parsed input as its one argument (the generic form TypeScript
    // cannot check from here: each spec ties the schema to its workflow's type).
    const startOptions = {
      taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
      workflowId,
      args: [params],
      workflowIdConflictPolicy: spec.idConflictPolicy,
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      ...(spec.memo ? { memo: spec.memo(params) } : {}),
      // staticSummary is limited to ~200 bytes.
      staticSummary: summary.slice(0, 200),
      staticDetails: details,
      typedSearchAttributes: spec.searchAttributes(params),
    } as unknown as WorkflowStartOptions<W>;
    const handle = await client.workflow.start<W>(spec.workflowType, startOptions);
    return { workflowId, handle };
  } catch (err) {
    if (spec.alreadyRunning && err instanceof WorkflowExecutionAlreadyStartedError)
      throw spec.alreadyRunning(workflowId);
    throw err;
  }
}

/** Parses, then starts: bad input rejects (InvalidInputError) before anything is sent. */
export async function startWorkflow<W extends Workflow, S extends z.ZodType>(
  client: Client,
  spec: StartSpec<W, S>,
  input: unknown,
  options: StartOptions = {},
): Promise<Started<W>> {
  return startParsed(client, spec, parseStartInput(spec, input), options);
}
