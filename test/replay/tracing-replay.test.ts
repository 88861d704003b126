import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { tracingWorkflowModules } from '../../src/tracing/workflow-modules.js';
import { workflowsEntry } from '../../src/worker/create-worker.js';
import { HISTORIES_DIR } from '../helpers/history.js';

/**
 * Histories recorded by workers without tracing replay on a worker with the OpenTelemetry workflow
 * interceptors bundled in (docs/tracing.md): turning tracing on does not break open runs.
 */
const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'));
// The exporter sink the interceptors call (the worker's sends spans on; here they are dropped).
const sinks = { exporter: { export: { fn: () => undefined } } };
const historyOf = (f: string) => historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8')));

describe('replay with the tracing workflow interceptors', () => {
  it('replays every saved history without non-determinism', async () => {
    expect(files.length).toBeGreaterThan(0);
    const histories = files.map((f) => ({ workflowId: f.replace(/\.json$/, ''), history: historyOf(f) }));
    const results = [];
    for await (const result of Worker.runReplayHistories(
      { workflowsPath: workflowsEntry(), interceptors: { workflowModules: tracingWorkflowModules() }, sinks },
      histories,
    )) {
      results.push({ id: result.workflowId, error: result.error ? String(result.error) : undefined });
    }
    expect(results.length).toBe(files.length);
    expect(results.filter((r) => r.error)).toEqual([]);
  });

  it('the SDK module as published does not: its update spans reorder an approval gate (why ours skips them)', async () => {
    const published = createRequire(import.meta.url).resolve(
      '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
    );
    const err = await Worker.runReplayHistory(
      { workflowsPath: workflowsEntry(), interceptors: { workflowModules: [published] }, sinks },
      historyOf('dictionary-rollout-approval-gate.json'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect(String(err)).toMatch(/WorkflowExecutionUpdateCompleted/);
  });
});
