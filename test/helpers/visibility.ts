import type { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];

/**
 * Runs a visibility (list) query until `accept` is true of its answer, and returns that answer.
 * Visibility is eventually consistent: an upsert shows up in list queries a moment after the
 * workflow task that made it. Bounded: throws with the last answer after `timeoutMs`.
 */
export async function listUntil(
  client: Client,
  query: string,
  accept: (executions: WorkflowExecutionInfo[]) => boolean,
  timeoutMs = 20_000,
): Promise<WorkflowExecutionInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const executions: WorkflowExecutionInfo[] = [];
    for await (const execution of client.workflow.list({ query })) executions.push(execution);
    if (accept(executions)) return executions;
    if (Date.now() > deadline)
      throw new Error(
        `list query did not match within ${timeoutMs} ms: ${query}\nlast answer: ${JSON.stringify(
          executions.map((e) => ({ workflowId: e.workflowId, runId: e.runId, status: e.status.name })),
        )}`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The one execution of `runId` that a list query returns, once it returns it. */
export async function listedRun(
  client: Client,
  query: string,
  runId: string,
  timeoutMs?: number,
): Promise<WorkflowExecutionInfo> {
  const executions = await listUntil(client, query, (list) => list.some((e) => e.runId === runId), timeoutMs);
  return executions.find((e) => e.runId === runId)!;
}

export function decodeString(payload: Payload | null | undefined): string | undefined {
  return payload ? defaultPayloadConverter.fromPayload<string>(payload) : undefined;
}

/** The `summary` of every activity the run scheduled, in order, with the activity type. */
export async function activitySummaries(
  handle: WorkflowHandle,
): Promise<Array<{ activityType: string; summary: string | undefined }>> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({
      activityType: e.activityTaskScheduledEventAttributes!.activityType?.name ?? '',
      summary: decodeString(e.userMetadata?.summary as Payload | undefined),
    }));
}

/** The `summary` of every timer the run started. */
export async function timerSummaries(handle: WorkflowHandle): Promise<Array<string | undefined>> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => decodeString(e.userMetadata?.summary as Payload | undefined));
}

/** Every ActivityTaskFailed event's failure: message, type and decoded details. */
export async function activityFailures(handle: WorkflowHandle): Promise<
  Array<{
    activityType: string;
    message: string;
    type: string;
    nonRetryable: boolean;
    details: unknown[];
  }>
> {
  const history = await handle.fetchHistory();
  const events: HistoryEvent[] = history.events ?? [];
  const typeOf = new Map(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes)
      .map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType?.name ?? '']),
  );
  return events
    .filter((e) => e.activityTaskFailedEventAttributes)
    .map((e) => {
      const attrs = e.activityTaskFailedEventAttributes!;
      const failure = attrs.failure;
      const info = failure?.applicationFailureInfo;
      return {
        activityType: typeOf.get(String(attrs.scheduledEventId)) ?? '',
        message: failure?.message ?? '',
        type: info?.type ?? '',
        nonRetryable: Boolean(info?.nonRetryable),
        details: (info?.details?.payloads ?? []).map((p) =>
          defaultPayloadConverter.fromPayload(p as Payload),
        ),
      };
    });
}

/**
 * What the Web UI reads of a workflow through the SDK's built-in `__temporal_workflow_metadata`
 * query: the current details (setCurrentDetails) and the query, signal and update names.
 */
export interface WorkflowMetadata {
  currentDetails: string;
  definition: {
    type: string;
    queryDefinitions: Array<{ name: string }>;
    signalDefinitions: Array<{ name: string }>;
    updateDefinitions: Array<{ name: string }>;
  };
}

export function workflowMetadata(handle: WorkflowHandle): Promise<WorkflowMetadata> {
  return handle.query<WorkflowMetadata>('__temporal_workflow_metadata');
}
