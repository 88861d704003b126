import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import { inject } from 'vitest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stagedKey } from '../../../src/activities/s3.js';
import type {
  DictionaryRolloutProgress,
  DictionaryRolloutResult,
} from '../../../src/model/dictionary-rollout.js';
import { COMMANDS, runCli as runCliInProcess } from '../../../src/cli/run.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { freshDictionaryEmulator, domainNames, STAGING_BUCKET } from '../../helpers/dictionary.js';
import { startTestStack, type TestStack } from '../../helpers/stack.js';
import { eventually, runCli, startCli } from './run-cli.js';

let stack: TestStack;
let env: Record<string, string | undefined>;
const dir = mkdtempSync(join(tmpdir(), 'rollouts-cli-'));

beforeAll(async () => {
  stack = await startTestStack('rollouts-cli');
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    ROLLOUTS_TASK_QUEUE: stack.taskQueue,
    AWS_ENDPOINT_URL: stack.emulator.url,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDTEST',
    AWS_SECRET_ACCESS_KEY: 'test-secret',
  };
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack);
});

const rollouts = (...args: string[]) => runCli(args, env);
const fast = ['--poll-interval', '0.2', '--staging-bucket', STAGING_BUCKET];

async function seeded(prefix: string, n: number): Promise<string[]> {
  const domains = domainNames(prefix, n);
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  return domains;
}

interface EndDoc {
  workflowId: string;
  ok: boolean;
  outcome?: string;
  result?: DictionaryRolloutResult;
  failure?: { type: string; message: string };
}

describe('rollouts dictionary', () => {
  it('--file (small): passed inline, --wait --json prints the result, exit 0', async () => {
    const domains = await seeded('cli-small', 3);
    const file = join(dir, 'small.txt');
    writeFileSync(file, 'car, automobile\n');
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'cli-small',
      '--file',
      file,
      '--domains',
      domains.join(','),
      '--canary',
      '1',
      '--wave-sizes',
      '2',
      ...fast,
      '--wait',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json<EndDoc>();
    expect(doc).toMatchObject({ workflowId: 'dictionary-rollout/cli-small', ok: true, outcome: 'succeeded' });
    expect(doc.result!.waves).toBe(2);
    expect(doc.result!.domains.map((d) => [d.domain, d.state])).toEqual(domains.map((d) => [d, 'current']));
    const input = (await stack.client.workflow.getHandle(doc.workflowId).fetchHistory()).events?.[0]
      ?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(Buffer.from(input!).toString()).toContain('"kind":"inline"');
  });

  it('--file (over 32 KiB): uploaded by the CLI under the stage key; staging writes nothing twice', async () => {
    const domains = await seeded('cli-large', 1);
    const text = Array.from({ length: 3000 }, (_, i) => `word${i}, term${i}`).join('\n') + '\n';
    expect(Buffer.byteLength(text)).toBeGreaterThan(32 * 1024);
    const file = join(dir, 'large.txt');
    writeFileSync(file, text);
    const sha = createHash('sha256').update(text).digest('hex');
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'cli-large',
      '--file',
      file,
      '--domains',
      domains[0]!,
      ...fast,
      '--wait',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/larger than 32768 bytes, so it is staged in S3 by the CLI/);
    const key = stagedKey('package-rollouts/', sha, 'TXT-DICTIONARY');
    expect(run.json<EndDoc>().result!.stagedObject).toEqual({
      bucket: STAGING_BUCKET,
      key,
      sizeBytes: Buffer.byteLength(text),
    });
    const puts = (await stack.emulator.control.calls({ service: 's3', operation: 'PutObject' })).filter(
      (c) => c.httpStatus < 300,
    );
    expect(puts.map((c) => c.resource?.key)).toEqual([key]);
  });

  it('a failed domain: exit 1 with the result; --json names the failure type', async () => {
    const domains = await seeded('cli-fail', 2);
    await stack.emulator.control.configureDomain(domains[1]!, { failAssociation: 'disk full' });
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'cli-fail',
      '--text',
      'a, b\n',
      '--domains',
      domains.join(','),
      '--failure-policy',
      'continue',
      ...fast,
      '--wait',
      '--json',
    );
    expect(run.code).toBe(1);
    const doc = run.json<EndDoc>();
    expect(doc).toMatchObject({ ok: false, outcome: 'partial', failure: { type: 'RolloutFailed' } });
    expect(doc.result!.domains.find((d) => d.domain === domains[1])?.state).toBe('failed');
  });

  it('bad input: exit 2 naming every field (and its flag), nothing started', async () => {
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'X',
      '--text',
      'a',
      '--domains',
      'ok-domain,ok-domain',
      '--staging-bucket',
      STAGING_BUCKET,
      '--max-concurrency',
      '500',
      '--json',
    );
    expect(run.code).toBe(2);
    const { error } = run.json<{
      error: { type: string; issues: Array<{ field: string; flag?: string }> };
    }>();
    expect(error.type).toBe('InvalidInput');
    expect(error.issues.map((i) => [i.field, i.flag])).toEqual(
      expect.arrayContaining([
        ['packageName', '--package-name'],
        ['domains[1]', '--domains'],
        ['policy.maxConcurrency', '--max-concurrency'],
      ]),
    );
    const human = await rollouts('dictionary', '--package-name', 'ok-name', '--domains', 'abc');
    expect(human.code).toBe(2);
    expect(human.stderr).toMatch(/source/);
    expect(human.stderr).toMatch(/staging/);
    expect(await stack.emulator.control.calls({ service: 'es' })).toEqual([]);
  });

  it('--workflow-id is refused with exit 2 saying why (one rollout per package), nothing started', async () => {
    const domains = await seeded('wfid', 1);
    const run = await rollouts(
      'dictionary',
      '--package-name',
      'wfid-dict',
      '--text',
      'a, b',
      '--domains',
      domains.join(','),
      ...fast,
      '--workflow-id',
      'my-own-id',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--workflow-id is refused/);
    expect(run.stderr).toMatch(/dictionary-rollout\/<packageName>/);
    expect(run.stderr).toMatch(/one rollout per package/);
    await expect(stack.client.workflow.getHandle('my-own-id').describe()).rejects.toThrow(/not found/i);
    await expect(stack.client.workflow.getHandle('dictionary-rollout/wfid-dict').describe()).rejects.toThrow(
      /not found/i,
    );
    expect(await stack.emulator.control.calls({ service: 'es' })).toEqual([]);
  });

  it('exit 3 when Temporal cannot be reached, naming TEMPORAL_ADDRESS', async () => {
    const port = await freePort();
    const run = await runCli(['list', '--connect-timeout', '1'], {
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
    });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(new RegExp(`Cannot reach Temporal at 127.0.0.1:${port}`));
    expect(run.stderr).toMatch(/TEMPORAL_ADDRESS/);
    const json = await runCli(
      ['status', 'x', '--json', '--connect-timeout', '1', '--address', `127.0.0.1:${port}`],
      env,
    );
    expect(json.code).toBe(3);
    expect(json.json<{ error: { type: string } }>().error.type).toBe('TemporalUnreachable');
  });
});

describe('operating a rollout: status, pause, resume, approve, watch, list, cancel', () => {
  it('approval gate: status shows it, pause/resume/approve answer, watch streams progress to the end', async () => {
    const domains = await seeded('cli-gate', 3);
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-gate',
      '--text',
      'x, y\n',
      '--domains',
      domains.join(','),
      '--approval-between-waves',
      '--canary',
      '1',
      ...fast,
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string; started: boolean }>();
    expect(workflowId).toBe('dictionary-rollout/cli-gate');

    const waiting = await eventually(async () => {
      const s = await rollouts('status', workflowId, '--json');
      const doc = s.json<{ progress?: DictionaryRolloutProgress; executionStatus: string }>();
      return doc.progress?.awaitingApproval ? { code: s.code, doc } : undefined;
    });
    expect(waiting.code).toBe(0);
    expect(waiting.doc.executionStatus).toBe('RUNNING');
    expect(waiting.doc.progress!.domains.find((d) => d.domain === domains[0])?.state).toBe('current');

    expect((await rollouts('pause', workflowId, '--json')).json()).toEqual({ workflowId, paused: true });
    expect((await rollouts('resume', workflowId)).stdout).toMatch(/resumed/);
    const listed = await eventually(async () => {
      const l = await rollouts('list', '--target', 'cli-gate', '--status', 'waiting-for-approval', '--json');
      const rows = l.json<Array<{ workflowId: string; rolloutStatus: string; kind: string }>>();
      return rows.length > 0 ? rows : undefined;
    });
    expect(listed[0]).toMatchObject({
      workflowId,
      kind: 'dictionaryRollout',
      rolloutStatus: 'waiting-for-approval',
    });

    const watch = startCli(['watch', workflowId, '--json', '--interval', '0.2'], env);
    await watch.waitFor(/"type":"progress"/);
    const approved = await rollouts('approve', workflowId, '--json');
    expect(approved.code, approved.stderr).toBe(0);
    // Waves are numbered from 1 and the canary (wave 1) never waits: the approval is for wave 2.
    expect(approved.json()).toEqual({ workflowId, approvedWave: 2 });
    const watched = await watch.ended;
    expect(watched.code, watched.stderr).toBe(0);
    const lines = watched.lines<{ type: string; progress?: DictionaryRolloutProgress; outcome?: string }>();
    expect(lines.some((l) => l.type === 'progress' && l.progress!.awaitingApproval)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'result', outcome: 'succeeded', ok: true });

    const done = await rollouts('status', workflowId);
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/execution COMPLETED/);
    expect(done.stdout).toMatch(new RegExp(`${domains[2]}\\s+current @ v1`));
  });

  it('approve on a rollout without approval gates is refused (exit 2); unknown ids are exit 2', async () => {
    const domains = await seeded('cli-refuse', 1);
    // The association takes an hour of emulator time: the run is surely still open below, until the
    // test moves the emulator's clock on.
    await stack.emulator.control.configureDomain(domains[0]!, { associationMs: 60 * 60 * 1000 });
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-refuse',
      '--text',
      'p, q\n',
      '--domains',
      domains[0]!,
      ...fast,
    );
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/Started dictionary rollout dictionary-rollout\/cli-refuse/);
    const refused = await rollouts('approve', 'dictionary-rollout/cli-refuse');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/does not wait for approval/);
    const unknown = await rollouts('status', 'dictionary-rollout/no-such-thing', '--json');
    expect(unknown.code).toBe(2);
    expect(unknown.json<{ error: { message: string } }>().error.message).toMatch(
      /no rollout with workflow id/,
    );
    // While it runs, a second start for the package is refused: exit 1, the message says why.
    const again = await rollouts(
      'dictionary',
      '--package-name',
      'cli-refuse',
      '--text',
      'p\n',
      '--domains',
      domains[0]!,
      ...fast,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already running/);
    await stack.emulator.control.setClock({ advanceMs: 2 * 60 * 60 * 1000 });
    const watched = await rollouts('watch', 'dictionary-rollout/cli-refuse', '--interval', '0.2');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/dictionary-rollout\/cli-refuse: succeeded/);
  });

  it('cancel --wait: in-flight domains finish, the run ends cancelled with its result (exit 0)', async () => {
    const domains = await seeded('cli-cancel', 3);
    const started = await rollouts(
      'dictionary',
      '--package-name',
      'cli-cancel',
      '--text',
      'c, d\n',
      '--domains',
      domains.join(','),
      '--approval-between-waves',
      ...fast,
      '--json',
    );
    const { workflowId } = started.json<{ workflowId: string }>();
    await eventually(async () => {
      const doc = (await rollouts('status', workflowId, '--json')).json<{
        progress?: DictionaryRolloutProgress;
      }>();
      return doc.progress?.awaitingApproval ? true : undefined;
    });
    const cancelled = await rollouts('cancel', workflowId, '--wait', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const doc = cancelled.json<EndDoc>();
    expect(doc).toMatchObject({ ok: false, outcome: 'cancelled', failure: { type: 'RolloutCancelled' } });
    expect(doc.result!.counts).toMatchObject({ current: 1, notStarted: 2 });
    const status = await rollouts('status', workflowId, '--json');
    expect(status.code).toBe(1);
    expect(status.json<{ result: { outcome: string } }>().result.outcome).toBe('cancelled');
    const again = await rollouts('cancel', workflowId);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already ended/);
  });
});

describe('rollouts remove', () => {
  it('dissociates a published package and deletes it (exit 0); bad input is exit 2', async () => {
    const domains = await seeded('cli-remove', 2);
    const published = await rollouts(
      'dictionary',
      '--package-name',
      'cli-remove',
      '--text',
      'r, s\n',
      '--domains',
      domains.join(','),
      ...fast,
      '--wait',
    );
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/dictionary-rollout\/cli-remove: succeeded/);
    const removed = await rollouts(
      'remove',
      '--package-name',
      'cli-remove',
      '--poll-interval',
      '0.2',
      '--watch',
      '--interval',
      '0.2',
      '--json',
    );
    expect(removed.code, removed.stderr).toBe(0);
    const end = removed
      .lines<{ type: string; outcome?: string; result?: { packageDeletion: string } }>()
      .at(-1)!;
    expect(end).toMatchObject({ type: 'result', outcome: 'removed', result: { packageDeletion: 'deleted' } });
    const bad = await rollouts('remove', '--package-name', 'cli-remove', '--package-id', 'F1', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { issues: Array<{ field: string }> } }>().error.issues[0]!.field).toBe(
      'packageName',
    );
  });
});

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
    const inline = await rollouts(
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
    const text = await rollouts('schedule', 'create', '--every', '1h', '--text', 'x');
    expect(text.code).toBe(2);
    expect(text.stderr).toMatch(/Unknown option '--text'[\s\S]*rollouts schedule create --help/);
    const tooOften = await rollouts(
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
      const listed = await eventually(async () => {
        const rows = (await rollouts('schedule', 'list', '--json')).json<Array<{ scheduleId: string }>>();
        return rows.find((r) => r.scheduleId === scheduleId);
      });
      expect(listed).toMatchObject({ packageName: 'cli-sched' });

      const first = await rollouts('schedule', 'trigger', scheduleId, '--wait', '--json');
      expect(first.code, first.stderr).toBe(0);
      const firstDoc = first.json<EndDoc>();
      expect(firstDoc.workflowId.startsWith(`${scheduleId}-`)).toBe(true);
      expect(firstDoc).toMatchObject({ outcome: 'succeeded', result: { packageChange: 'created' } });

      await stack.emulator.control.clearCalls();
      const second = await rollouts('schedule', 'trigger', scheduleId, '--wait', '--json');
      expect(second.code, second.stderr).toBe(0);
      const secondDoc = second.json<EndDoc>();
      expect(secondDoc.workflowId).not.toBe(firstDoc.workflowId);
      expect(secondDoc).toMatchObject({
        outcome: 'unchanged',
        result: { packageChange: 'unchanged', counts: { skipped: 2 } },
      });
      expect((await stack.emulator.control.calls()).filter((c) => c.mutating)).toEqual([]);

      const described = await rollouts('schedule', 'describe', scheduleId, '--json');
      expect(described.json()).toMatchObject({ scheduleId, overlap: 'SKIP', runsTaken: 2, domains });
      expect((await rollouts('schedule', 'pause', scheduleId, '--note', 'maintenance')).code).toBe(0);
      expect((await rollouts('schedule', 'describe', scheduleId, '--json')).json()).toMatchObject({
        paused: true,
        note: 'maintenance',
      });
      const human = await rollouts('schedule', 'describe', scheduleId);
      expect(human.stdout).toMatch(/PAUSED \(maintenance\)/);
      expect((await rollouts('schedule', 'unpause', scheduleId)).code).toBe(0);
      expect((await rollouts('schedule', 'describe', scheduleId, '--json')).json()).toMatchObject({
        paused: false,
      });
    } finally {
      const deleted = await rollouts('schedule', 'delete', scheduleId, '--json');
      expect(deleted.json()).toEqual({ scheduleId, deleted: true });
    }
    const gone = await rollouts('schedule', 'describe', scheduleId);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no schedule with id/);
  });
});

describe('rollouts emulator', () => {
  it('serves the AWS APIs with seeded domains and buckets until SIGTERM (exit 0)', async () => {
    const emulator = startCli(
      ['emulator', '--port', '0', '--seed-domains', 'emu-one,emu-two', '--buckets', 'emu-bucket'],
      env,
    );
    const line = await emulator.waitFor(/emulator listening on http/);
    const url = /(http:\/\/\S+)/.exec(line)![1]!;
    const { EmulatorControl } = await import('../../../src/emulator/server.js');
    const state = await new EmulatorControl(url).state();
    expect(state.opensearch.domains.map((d) => d.name).sort()).toEqual(['emu-one', 'emu-two']);
    expect(state.s3.buckets.map((b) => b.name)).toEqual(['emu-bucket']);
    emulator.child.kill('SIGTERM');
    const ended = await emulator.ended;
    expect(ended.code).toBe(0);
    expect(ended.stderr).toMatch(/emulator stopped/);
  });
});

describe('rollouts attach', () => {
  it('attaches a domain to an application: --wait --json exit 0, status shows it, bad input exit 2', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cli-attach-one' }]);
    await stack.emulator.control.setDurations({ applicationCreatingMs: 0 });
    const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: 'cli-console' }));
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/cli-attach-one';
    const run = await rollouts(
      'attach',
      '--application-id',
      app.id!,
      '--data-source-arn',
      arn,
      '--workspace-name',
      'Ops',
      '--workspace-type',
      'observability',
      '--poll-interval',
      '0.2',
      '--wait',
      '--json',
    );
    expect(run.code, run.stderr).toBe(0);
    const doc = run.json<{
      workflowId: string;
      ok: boolean;
      result: { status: string; application: { id: string }; workspace: unknown };
    }>();
    expect(doc.workflowId).toBe(`data-source-attachment/${app.id}/${arn}`);
    expect(doc).toMatchObject({
      ok: true,
      result: {
        status: 'ATTACHED',
        application: { id: app.id },
        workspace: { kind: 'new', name: 'Ops', workspaceType: 'OBSERVABILITY' },
      },
    });
    const attachments = (await stack.emulator.control.state()).opensearch.attachments;
    expect(attachments.map((a) => [a.dataSourceArn, a.status])).toEqual([[arn, 'ATTACHED']]);

    const status = await rollouts('status', doc.workflowId);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/execution COMPLETED/);
    expect(status.stdout).toMatch(/attachment \S+: ATTACHED/);
    // Pause and resume belong to dictionary rollouts: refused with the reason, exit 2.
    const pause = await rollouts('pause', doc.workflowId, '--json');
    expect(pause.code).toBe(2);
    expect(pause.json<{ error: { type: string; message: string } }>().error).toMatchObject({
      type: 'NotSupported',
      message: expect.stringMatching(/'pause' does not apply .* dataSourceAttachment run/),
    });

    const bad = await rollouts(
      'attach',
      '--application-id',
      'abc123',
      '--application-name',
      'cli-console',
      '--data-source-arn',
      'arn:aws:s3:::bucket',
      '--json',
    );
    expect(bad.code).toBe(2);
    const issues = bad.json<{ error: { issues: Array<{ field: string; flag?: string }> } }>().error.issues;
    expect(issues.map((i) => [i.field, i.flag])).toEqual(
      expect.arrayContaining([
        ['dataSourceArn', '--data-source-arn'],
        ['applicationId', '--application-id'],
      ]),
    );
    const half = await rollouts('attach', '--workspace-name', 'x', '--data-source-arn', arn);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--workspace-name and --workspace-type go together/);
  });

  it('cancel --wait on an attachment still PENDING: the run ends Cancelled, reported as RolloutCancelled, exit 0', async () => {
    await stack.emulator.control.seedDomains([{ name: 'cli-attach-wait' }]);
    await stack.emulator.control.setDurations({ applicationCreatingMs: 3_600_000 }); // CREATING: PENDING
    const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: 'cli-pending' }));
    const arn = 'arn:aws:es:us-east-1:123456789012:domain/cli-attach-wait';
    const started = await rollouts(
      'attach',
      '--application-id',
      app.id!,
      '--data-source-arn',
      arn,
      '--poll-interval',
      '0.2',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string }>();
    await eventually(async () => {
      const attachments = (await stack.emulator.control.state()).opensearch.attachments;
      return attachments.length === 1 && attachments[0]!.status === 'PENDING' ? true : undefined;
    });
    const cancelled = await rollouts('cancel', workflowId, '--wait', '--json');
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.json<EndDoc>()).toMatchObject({ ok: false, failure: { type: 'RolloutCancelled' } });
    const described = await stack.client.workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('CANCELLED');
  });
});

describe('rollouts iot-release', () => {
  it('publish after approval: approve --by, watch to the end (changed); a re-run is unchanged; other content exit 1', async () => {
    const started = await rollouts(
      'iot-release',
      '--package-name',
      'cli-edge-agent',
      '--version-name',
      '1.0.0',
      '--attribute',
      'channel=stable',
      '--attribute',
      'build=42',
      '--publish',
      'after-approval',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    const { workflowId } = started.json<{ workflowId: string }>();
    expect(workflowId).toBe('iot-package-release/cli-edge-agent/1.0.0');
    const waiting = await eventually(async () => {
      const doc = (await rollouts('status', workflowId, '--json')).json<{
        progress?: { awaitingApproval: boolean; versionStatus?: string };
      }>();
      return doc.progress?.awaitingApproval ? doc.progress : undefined;
    });
    expect(waiting.versionStatus).toBe('DRAFT');
    const approved = await rollouts('approve', workflowId, '--by', 'alice', '--json');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.json()).toMatchObject({ workflowId, approval: { approvedBy: 'alice' } });
    const watched = await rollouts('watch', workflowId, '--interval', '0.2');
    expect(watched.code, watched.stderr).toBe(0);
    expect(watched.stdout).toMatch(/: changed/);
    expect(watched.stdout).toMatch(/version 1\.0\.0: PUBLISHED, package default 1\.0\.0/);

    const again = await rollouts(
      'iot-release',
      '--package-name',
      'cli-edge-agent',
      '--version-name',
      '1.0.0',
      '--attribute',
      'channel=stable',
      '--attribute',
      'build=42',
      '--wait',
      '--json',
    );
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({
      ok: true,
      outcome: 'unchanged',
      result: { versionStatus: 'PUBLISHED' },
    });

    const conflict = await rollouts(
      'iot-release',
      '--package-name',
      'cli-edge-agent',
      '--version-name',
      '1.0.0',
      '--attribute',
      'channel=beta',
      '--wait',
      '--json',
    );
    expect(conflict.code).toBe(1);
    expect(conflict.json()).toMatchObject({ ok: false, failure: { type: 'IotVersionConflict' } });

    const bad = await rollouts(
      'iot-release',
      '--package-name',
      'cli-edge-agent',
      '--version-name',
      '2.0.0',
      '--publish',
      'no',
      '--make-default',
      '--attribute',
      'no-equals-sign',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/attributes \(--attribute\): --attribute must be key=value/);
    const draft = await rollouts(
      'iot-release',
      '--package-name',
      'cli-edge-agent',
      '--version-name',
      '2.0.0',
      '--publish',
      'no',
      '--make-default',
      '--json',
    );
    expect(draft.code).toBe(2);
    expect(draft.json<{ error: { issues: Array<{ field: string; flag?: string }> } }>().error.issues).toEqual(
      [expect.objectContaining({ field: 'makeDefault', flag: '--make-default' })],
    );
    const versions = (await stack.emulator.control.state()).iot;
    expect(JSON.stringify(versions)).not.toContain('2.0.0');
  });
});

describe('rollouts list', () => {
  it('filters by kind and target (table for people, rows with --json); an unknown kind is exit 2', async () => {
    const domains = await seeded('cli-list', 1);
    const done = await rollouts(
      'dictionary',
      '--package-name',
      'cli-list',
      '--text',
      'l, m\n',
      '--domains',
      domains[0]!,
      ...fast,
      '--wait',
    );
    expect(done.code, done.stderr).toBe(0);
    const rows = await eventually(async () => {
      const l = await rollouts(
        'list',
        '--kind',
        'dictionary',
        '--target',
        'cli-list',
        '--status',
        'succeeded',
        '--json',
      );
      const r = l.json<Array<{ workflowId: string; rolloutStatus: string; executionStatus: string }>>();
      return r.length > 0 ? r : undefined;
    });
    expect(rows).toEqual([
      expect.objectContaining({
        workflowId: 'dictionary-rollout/cli-list',
        rolloutStatus: 'succeeded',
        executionStatus: 'COMPLETED',
        targetVersion: 'v1',
        domains: 1,
      }),
    ]);
    const human = await rollouts('list', '--target', 'cli-list', '--limit', '5');
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^WORKFLOW ID\s+KIND\s+TARGET\s+STATUS/);
    expect(human.stdout).toMatch(
      /dictionary-rollout\/cli-list\s+dictionaryRollout\s+cli-list\s+succeeded\s+COMPLETED\s+v1/,
    );
    const none = await rollouts('list', '--target', 'no-such-package-anywhere');
    expect(none.stdout.trim()).toBe('no rollouts match');
    const bad = await rollouts('list', '--kind', 'bogus', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { message: string } }>().error.message).toMatch(
      /kind: must be one of dictionary/,
    );
  });
});

/** Runs the CLI in this process (help needs no server; spawning 20 processes would only cost time). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const sink = (append: (t: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        append(chunk.toString());
        done();
      },
    });
  const code = await runCliInProcess(args, env, {
    stdout: sink((t) => (stdout += t)),
    stderr: sink((t) => (stderr += t)),
  });
  return { code, stdout, stderr };
}

describe('--help', () => {
  it('every command has --help: usage, every option, exit 0, nothing contacted', async () => {
    expect(COMMANDS.map((c) => c.name)).toEqual([
      'dictionary',
      'attach',
      'iot-release',
      'remove',
      'status',
      'watch',
      'approve',
      'pause',
      'resume',
      'cancel',
      'list',
      'schedule create',
      'schedule list',
      'schedule describe',
      'schedule pause',
      'schedule unpause',
      'schedule trigger',
      'schedule delete',
      'emulator',
      'dev',
    ]);
    for (const command of COMMANDS) {
      const help = await inProcess([...command.name.split(' '), '--help']);
      expect(help.code, command.name).toBe(0);
      expect(help.stdout, command.name).toContain(`Usage: rollouts ${command.name}`);
      for (const option of Object.keys(command.options))
        expect(help.stdout, command.name).toContain(`--${option}`);
      expect(help.stdout).toContain('--json');
      if (command.connects) expect(help.stdout, command.name).toContain('--address');
      const json = await inProcess([...command.name.split(' '), '--help', '--json']);
      expect(JSON.parse(json.stdout), command.name).toMatchObject({ command: command.name });
    }
  });

  it('docs/cli.md documents every command and every flag, the exit codes and how --file is passed', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync('docs/cli.md', 'utf8');
    for (const command of COMMANDS) {
      expect(doc, command.name).toContain(`### \`rollouts ${command.name}\``);
      const section = doc.slice(doc.indexOf(`### \`rollouts ${command.name}\``)).split('\n### ')[0]!;
      for (const option of Object.keys(command.options))
        expect(section, `${command.name} --${option}`).toContain(`--${option}`);
    }
    for (const code of ['| 0 |', '| 1 |', '| 2 |', '| 3 |']) expect(doc).toContain(code);
    expect(doc).toMatch(/uploaded by the CLI\*\* to the staging bucket/);
  });

  it('bin/rollouts.js --help lists every command and the exit codes; unknown commands are exit 2', async () => {
    const { spawn } = await import('node:child_process');
    const bin = (args: string[]) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/rollouts.js', ...args], {
          env: env as NodeJS.ProcessEnv,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
    const help = await bin(['--help']);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${command.name}\\s`, 'm'));
    expect(help.stdout).toMatch(/0 success · 1 the rollout failed · 2 bad input · 3 cannot reach Temporal/);
    const sub = await bin(['schedule', 'trigger', '--help']);
    expect(sub.stdout).toMatch(/Usage: rollouts schedule trigger <schedule-id>/);
    const unknown = await bin(['deploy']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'deploy'/);
    const bare = await bin(['schedule']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(
      /needs a subcommand: create, list, describe, pause, unpause, trigger, delete/,
    );
    const badFlag = await inProcess(['status', 'x', '--bogus']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toMatch(/Unknown option '--bogus'/);
  });
});
