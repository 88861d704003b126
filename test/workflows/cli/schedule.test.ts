import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { STAGING_BUCKET } from '../../helpers/dictionary.js';
import { dir, type EndDoc, fast, inProcess, rollouts, seeded, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-schedule');

/**
 * The create and the first trigger run as users run them (a process of their own); the other calls
 * run the same CLI in this process: a process start costs about a second, several under load.
 */
const here = (...args: string[]) => inProcess(args);

describe('rollouts schedule', () => {
  it('create, list, describe, trigger (then again: unchanged, no AWS mutation), pause, unpause, delete', async () => {
    const domains = await seeded('cli-sched', 2);
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: STAGING_BUCKET, Key: 'sources/stopwords.txt', Body: 'a\nan\nthe\n' }),
    );
    const scheduleId = `dictionary-refresh/cli-sched-${stack.taskQueue.slice(-8)}`;
    // A refresh re-reads its source: inline text is refused (exit 2) before anything is created.
    const inlineInput = join(dir, 'inline-refresh.json');
    writeFileSync(inlineInput, JSON.stringify({ source: { kind: 'inline', text: 'x' } }));
    const inline = await here(
      'schedule',
      'create',
      '--every',
      '1h',
      '--input',
      inlineInput,
      '--package-name',
      'cli-sched',
      '--domains',
      domains[0]!,
      ...fast,
    );
    expect(inline.code).toBe(2);
    expect(inline.stderr).toMatch(/source\.kind.*: a scheduled refresh re-reads its source/);
    // --text is no option of schedule create at all.
    const text = await here('schedule', 'create', '--every', '1h', '--text', 'x');
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/Unknown option '--text'[\s\S]*rollouts schedule create --help/);
    const tooOften = await here(
      'schedule',
      'create',
      '--every',
      '10s',
      '--package-name',
      'cli-sched',
      '--source-s3',
      `s3://${STAGING_BUCKET}/sources/stopwords.txt`,
      '--domains',
      domains[0]!,
      ...fast,
      '--json',
    );
    expect(tooOften.code).toBe(2);
    expect(
      tooOften.json<{ error: { issues: Array<{ field: string; flag?: string }> } }>().error.issues,
    ).toEqual([expect.objectContaining({ field: 'every', flag: '--every' })]);

    const created = await rollouts(
      'schedule',
      'create',
      '--schedule-id',
      scheduleId,
      '--every',
      '1h',
      '--package-name',
      'cli-sched',
      '--source-s3',
      `s3://${STAGING_BUCKET}/sources/stopwords.txt`,
      '--domains',
      domains.join(','),
      ...fast,
      '--json',
    );
    expect(created.code, created.stderr).toBe(0);
    expect(created.json()).toMatchObject({
      created: true,
      scheduleId,
      overlap: 'SKIP',
      paused: false,
      every: '1h',
    });
    try {
      const listed = await vi.waitFor(
        async () => {
          const rows = (await here('schedule', 'list', '--json')).json<Array<{ scheduleId: string }>>();
          const found = rows.find((r) => r.scheduleId === scheduleId);
          expect(found).toBeDefined();
          return found!;
        },
        { timeout: 20_000, interval: 200 },
      );
      expect(listed).toMatchObject({ packageName: 'cli-sched' });

      const first = await rollouts('schedule', 'trigger', scheduleId, '--wait', '--json');
      expect(first.code, first.stderr).toBe(0);
      const firstDoc = first.json<EndDoc>();
      expect(firstDoc.workflowId.startsWith(`${scheduleId}-`)).toBe(true);
      expect(firstDoc).toMatchObject({ outcome: 'succeeded', result: { packageChange: 'created' } });

      await stack.emulator.control.clearCalls();
      const second = await here('schedule', 'trigger', scheduleId, '--wait', '--json');
      expect(second.code, second.stderr).toBe(0);
      const secondDoc = second.json<EndDoc>();
      expect(secondDoc.workflowId).not.toBe(firstDoc.workflowId);
      expect(secondDoc).toMatchObject({
        outcome: 'unchanged',
        result: { packageChange: 'unchanged', counts: { skipped: 2 } },
      });
      expect((await stack.emulator.control.calls()).filter((c) => c.mutating)).toEqual([]);

      const described = await here('schedule', 'describe', scheduleId, '--json');
      expect(described.json()).toMatchObject({ scheduleId, overlap: 'SKIP', runsTaken: 2, domains });
      expect((await here('schedule', 'pause', scheduleId, '--note', 'maintenance')).code).toBe(0);
      expect((await here('schedule', 'describe', scheduleId, '--json')).json()).toMatchObject({
        paused: true,
        note: 'maintenance',
      });
      const human = await here('schedule', 'describe', scheduleId);
      expect(human.stdout).toMatch(/PAUSED \(maintenance\)/);
      expect((await here('schedule', 'unpause', scheduleId)).code).toBe(0);
      expect((await here('schedule', 'describe', scheduleId, '--json')).json()).toMatchObject({
        paused: false,
      });
    } finally {
      const deleted = await here('schedule', 'delete', scheduleId, '--json');
      expect(deleted.json()).toEqual({ scheduleId, deleted: true });
    }
    const gone = await here('schedule', 'describe', scheduleId);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no schedule with id/);
  });
});
