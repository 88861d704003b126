import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { ApplicationFailure, upsertSearchAttributes } from '@temporalio/workflow';
import type { z } from 'zod';
import { FailureTypes } from '../model/failures.js';
import { RolloutFailedDomains, RolloutStatus, type RolloutStatusValue } from '../model/search-attributes.js';
import { formatIssues, validate } from '../model/validation.js';

/**
 * Workflows validate their input again with the same schema as the client and the CLI: a service
 * in another language may start them directly. A failure names every broken field and happens
 * before any activity, so nothing in AWS was touched.
 */
export function parseWorkflowInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const result = validate(schema, input);
  if (result.ok) return result.value;
  throw ApplicationFailure.create({
    message: formatIssues(what, result.issues),
    type: FailureTypes.InvalidInput,
    nonRetryable: true,
    details: [{ issues: result.issues }],
  });
}

/** Keeps the Web UI's list view current: status, and failed domains where that applies. */
export function publishStatus(status: RolloutStatusValue, failedDomains?: number): void {
  const updates: SearchAttributeUpdatePair[] = [{ key: RolloutStatus, value: status }];
  if (failedDomains !== undefined) updates.push({ key: RolloutFailedDomains, value: failedDomains });
  upsertSearchAttributes(updates);
}

export function errorSummary(err: unknown): { type: string; message: string } {
  if (err instanceof ApplicationFailure) return { type: err.type ?? 'Error', message: err.message };
  const cause = (err as { cause?: unknown })?.cause;
  if (cause instanceof ApplicationFailure) return { type: cause.type ?? 'Error', message: cause.message };
  return { type: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) };
}

/** How long a polling activity over these domains may run: until the latest deadline, plus slack. */
export function latestDeadline(watching: ReadonlyArray<{ deadline: number }>): number {
  return Math.max(...watching.map((w) => w.deadline)) - Date.now() + 120_000;
}
