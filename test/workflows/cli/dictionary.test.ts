import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stagedKey } from '../../../src/model/dictionary-rollout.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { STAGING_BUCKET } from '../../helpers/dictionary.js';
import { runCli } from './run-cli.js';
import { dir, type EndDoc, env, fast, rollouts, seeded, stack, useCliStack } from './cli-stack.js';

useCliStack('cli-dictionary');

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
