import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { fileURLToPath } from 'node:url';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowsEntry } from '../../src/worker/create-worker.js';
import { HISTORIES_DIR, normaliseHistoryPaths, normaliseStackTrace } from '../helpers/history.js';

/**
 * Replays every saved history against today's workflow code: a change that would break running
 * workflows (a non-deterministic change) fails here, in CI, before it reaches a worker.
 */
describe('replay of saved histories', () => {
  const files = existsSync(HISTORIES_DIR)
    ? readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'))
    : [];

  it('has histories for every workflow type', () => {
    const types = new Set(
      files.map((f) => {
        const history = JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'));
        return history.events[0].workflowExecutionStartedEventAttributes.workflowType.name as string;
      }),
    );
    expect([...types].sort()).toEqual(
      expect.arrayContaining([
        'dataSourceAttachment',
        'dictionaryRollout',
        'iotPackageRelease',
        'packageRemoval',
      ]),
    );
  });

  it('replays each without non-determinism', async () => {
    const histories = files.map((f) => ({
      workflowId: f.replace(/\.json$/, ''),
      history: historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, f), 'utf8'))),
    }));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: workflowsEntry() }, histories)) {
      results.push({ id: result.workflowId, error: result.error ? String(result.error) : undefined });
    }
    expect(results.length).toBe(files.length);
    expect(results.filter((r) => r.error)).toEqual([]);
  });

  it('reports an incompatible change to a workflow as non-determinism (the check can fail)', async () => {
    const file = files.find((f) => f.startsWith('package-removal-3-domains'))!;
    const history = historyFromJSON(JSON.parse(readFileSync(join(HISTORIES_DIR, file), 'utf8')));
    const altered = fileURLToPath(new URL('./fixtures/altered-workflows.ts', import.meta.url));
    const err = await Worker.runReplayHistory({ workflowsPath: altered }, history).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    expect(String(err)).toMatch(/[Nn]ondeterminism/);
  });

  it('saved histories carry no path of the machine they were recorded on', () => {
    const absolute = /(?:\(|at )(?:file:\/\/)?\//;
    const offending: string[] = [];
    for (const f of files) {
      const text = readFileSync(join(HISTORIES_DIR, f), 'utf8');
      // Recorded through normaliseHistoryPaths: rewriting a saved one changes nothing.
      expect(normaliseHistoryPaths(text), f).toBe(text);
      for (const m of text.matchAll(/"stackTrace": ("(?:[^"\\]|\\.)*")/g))
        for (const line of (JSON.parse(m[1]!) as string).split('\n'))
          if (absolute.test(line)) offending.push(`${f}: ${line.trim()}`);
    }
    expect(offending).toEqual([]);
  });

  it('normalises stack frames to paths inside the checkout', () => {
    const stack = [
      'ApplicationFailure: package F1 is COPYING',
      '    at notReady (/home/dev/clone/src/activities/polling.ts:11:29)',
      '    at async file:///home/dev/clone/node_modules/@temporalio/worker/lib/worker.js:813:30',
      '    at async Activity.execute (/srv/ci/build-7/node_modules/@temporalio/worker/lib/activity.js:104:20)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ].join('\n');
    expect(normaliseStackTrace(stack, '/home/dev/clone').split('\n').slice(1)).toEqual([
      '    at notReady (src/activities/polling.ts:11:29)',
      '    at async node_modules/@temporalio/worker/lib/worker.js:813:30',
      '    at async Activity.execute (node_modules/@temporalio/worker/lib/activity.js:104:20)',
      '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    ]);
  });
});
