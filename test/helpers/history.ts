import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';

export const HISTORIES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'replay', 'histories');

/**
 * With RECORD_HISTORIES=1, saves a finished run's history for the replay test, which then
 * catches any non-deterministic change to that workflow. Returns the event count either way.
 */
export async function recordHistory(client: Client, workflowId: string, name: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  if (process.env.RECORD_HISTORIES === '1') {
    mkdirSync(HISTORIES_DIR, { recursive: true });
    writeFileSync(join(HISTORIES_DIR, `${name}.json`), JSON.stringify(history));
  }
  return history.events?.length ?? 0;
}
