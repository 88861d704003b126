import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'replay', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a finished run's history for the replay test, which then
 * catches any non-deterministic change to that workflow. Returns the event count either way.
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    // Proto3 JSON, the format `temporal workflow show --output json` and the Web UI export.
    writeFileSync(join(HISTORIES_DIR, `${name}.json`), historyToJSON(history));
  }
  return history.events?.length ?? 0;
}

/**
 * The retry policy each polling activity (`waitFor…`) was scheduled with, from the run's history:
 * a wait must be bounded by its timeout only, never by a number of attempts (0 = unlimited).
 */
export async function pollingMaximumAttempts(
  client: Client,
  workflowId: string,
): Promise<Map<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const attempts = new Map<string, number>();
  for (const e of history.events ?? []) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    const type = scheduled?.activityType?.name ?? '';
    if (type.startsWith('waitFor')) attempts.set(type, scheduled?.retryPolicy?.maximumAttempts ?? 0);
  }
  return attempts;
}
