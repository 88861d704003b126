import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'replay', 'histories');
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The top-level folders of a checkout (ours and node_modules) a stack frame's path goes through. */
const TOP_DIRS = 'node_modules|src|test|chaos|bench|scripts|dist';
/**
 * An absolute path (or file URL) up to one of those folders: whatever precedes it names the
 * recording machine (where its checkout was, its user), not the code.
 */
const MACHINE_PREFIX = new RegExp(`(?:file://)?(?:/[^/\\s()"'\\\\]+)+?/(?=(?:${TOP_DIRS})/)`, 'g');

/** `/home/me/clone/src/x.ts:1:2` becomes `src/x.ts:1:2` (the checkout's root first, then any other). */
export function normaliseStackTrace(stack: string, root: string = REPO_ROOT): string {
  return stack.split(`file://${root}/`).join('').split(`${root}/`).join('').replace(MACHINE_PREFIX, '');
}

/**
 * Makes a history (proto3 JSON) machine-independent: every `stackTrace` in it loses the recording
 * machine's paths. Stack traces are informational (replay never compares them), so the history
 * replays the same; nothing else in it is touched.
 */
export function normaliseHistoryPaths(json: string, root: string = REPO_ROOT): string {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [
        key,
        key === 'stackTrace' && typeof v === 'string' ? normaliseStackTrace(v, root) : visit(v),
      ]),
    );
  };
  // The same layout as historyToJSON's.
  return JSON.stringify(visit(JSON.parse(json)), null, 2);
}

/**
 * With RECORD_HISTORIES=1, saves a finished run's history for the replay test, which then
 * catches any non-deterministic change to that workflow. Returns the event count either way.
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    // Proto3 JSON, the format `temporal workflow show --output json` and the Web UI export.
    writeFileSync(join(HISTORIES_DIR, `${name}.json`), normaliseHistoryPaths(historyToJSON(history)));
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
