import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { startEmulator } from '../../../src/emulator/server.js';
import type { DictionaryRolloutResult } from '../../../src/model/dictionary-rollout.js';
import { runCli, startCli } from './run-cli.js';

/**
 * `rollouts dev` (= `npm run demo`) brings its own Temporal dev server, emulator and worker. Each
 * run here gets a data dir of its own and free ports, and no TEMPORAL_ADDRESS: the global setup's
 * server is not used, and nothing touches the user's data dir.
 */
function demoEnv(dataHome: string): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    XDG_CACHE_HOME: process.env.XDG_CACHE_HOME,
    TEMPORAL_CLI_PATH: process.env.TEMPORAL_CLI_PATH,
    XDG_DATA_HOME: dataHome,
  };
}
const PORTS = ['--port', '0', '--ui-port', '0'];

describe('rollouts dev (npm run demo)', () => {
  it('--exit-when-done: dev server + UI, emulator, worker, sample rollout to the end; state persists to the next run', async () => {
    const dataHome = mkdtempSync(join(tmpdir(), 'rollouts-demo-'));
    const dataDir = join(dataHome, 'package-rollouts');
    const env = demoEnv(dataHome);

    const first = await runCli(['dev', '--exit-when-done', ...PORTS], env);
    expect(first.code, `${first.stdout}\n${first.stderr}`).toBe(0);
    expect(first.stdout).toMatch(/^Temporal Web UI: http:\/\/127\.0\.0\.1:\d+$/m);
    expect(first.stdout).toMatch(
      /Sample rollout of 'demo-synonyms' to demo-search-1, demo-search-2, demo-search-3, demo-search-4/,
    );
    expect(first.stdout).toMatch(
      /Web UI: http:\/\/127\.0\.0\.1:\d+\/namespaces\/default\/workflows\/dictionary-rollout%2Fdemo-synonyms\/[0-9a-f-]{36}\/history/,
    );
    // Live progress per domain, then the result.
    expect(first.stdout).toMatch(/demo-search-1\s+[a-z-]+ -> current @ v1/);
    expect(first.stdout).toMatch(/dictionary-rollout\/demo-synonyms: succeeded/);
    expect(first.stdout).toMatch(/demo-search-4\s+current @ v1/);
    // Java is here: the domains stand on real nodes, and the probe shows the sample's new rule.
    const token = /_analyze "demo" on demo-search-1 after the rollout: \[(demo\d{6})\]/.exec(
      first.stdout,
    )?.[1];
    expect(token, first.stdout).toBeDefined();
    expect(first.stdout).toContain(`_analyze "demo" on demo-search-4 after the rollout: [${token}]`);
    // State in the user's data dir (XDG_DATA_HOME): the dev server's database and the emulator's.
    expect(existsSync(join(dataDir, 'dev.db'))).toBe(true);
    expect(existsSync(join(dataDir, 'emulator.json'))).toBe(true);

    // A second run sees the first one's package (persisted) and publishes the next version.
    const second = await runCli(['dev', '--exit-when-done', '--headless', '--json', ...PORTS], env);
    expect(second.code, second.stderr).toBe(0);
    const lines = second.lines<{
      type: string;
      uiUrl?: string;
      outcome?: string;
      result?: DictionaryRolloutResult;
    }>();
    expect(lines[0]).toMatchObject({ type: 'started', workflowId: 'dictionary-rollout/demo-synonyms' });
    expect(lines.some((l) => l.type === 'progress')).toBe(true);
    const end = lines.at(-1)!;
    expect(end).toMatchObject({ type: 'result', outcome: 'succeeded' });
    expect(end.result!.packageChange).toBe('updated');
    expect(end.result!.targetVersion).toBe('v2');
    expect(end.result!.domains.map((d) => d.previousVersion)).toEqual(['v1', 'v1', 'v1', 'v1']);
    // The second run had an index to probe: verified on every domain, the probe passed.
    expect(end.result!.verification).toMatchObject({ verified: 4, indexesRefreshed: 4, probesPassed: 4 });

    // An emulator state saved by an earlier build kept no file bytes: the fresh nodes cannot build
    // the probe's index from the version the domains are on. The demo says so and probes after the
    // rollout instead of failing the canary's verification on a missing index.
    const statePath = join(dataDir, 'emulator.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as { opensearch: { contents?: unknown } };
    delete state.opensearch.contents;
    writeFileSync(statePath, JSON.stringify(state));
    const third = await runCli(['dev', '--exit-when-done', '--domains', '2', ...PORTS], env);
    expect(third.code, `${third.stdout}\n${third.stderr}`).toBe(0);
    expect(third.stdout).toContain('is probed after the rollout');
    expect(third.stdout).toMatch(/dictionary-rollout\/demo-synonyms: succeeded/);
    expect(third.stdout).toMatch(/_analyze "demo" on demo-search-1 after the rollout: \[demo\d{6}\]/);
  }, 900_000); // three demo runs, each starting its OpenSearch nodes

  it('without the flag it keeps the Web UI up until Ctrl-C, then stops everything (exit 0); without Java it says so and rolls out unverified', async () => {
    // One demo run for both: without Java no OpenSearch node starts, the slow part of a demo run
    // that neither check needs.
    const dataHome = mkdtempSync(join(tmpdir(), 'rollouts-demo-'));
    const demo = startCli(['dev', ...PORTS, '--domains', '2'], {
      ...demoEnv(dataHome),
      JAVA_HOME: join(dataHome, 'no-such-jdk'),
    });
    const ui = /Temporal Web UI: (http:\S+)/.exec(await demo.waitFor(/Temporal Web UI: http/, 120_000))![1]!;
    await demo.waitFor(/Everything stays up/, 120_000);
    expect(demo.stdout()).toMatch(/dictionary-rollout\/demo-synonyms: succeeded/);
    expect(demo.stderr()).toMatch(/No Java found .* the rollout is not verified on a real OpenSearch/);
    expect(demo.stdout()).not.toMatch(/_analyze "demo"|verification:|verified/);
    const page = await fetch(ui);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    demo.child.kill('SIGINT');
    const ended = await demo.ended;
    expect(ended.code, ended.stderr).toBe(0);
    expect(ended.stderr).toMatch(/SIGINT: stopping the worker, the emulator and the dev server/);
    // The UI (and so the dev server that serves it) is gone.
    await expect(fetch(ui)).rejects.toThrow();
  }, 300_000);
});

describe('rollouts dev pointed elsewhere by environment only', () => {
  it('TEMPORAL_ADDRESS: no dev server of its own; ROLLOUTS_DEMO_DOMAINS + AWS environment: those domains, no emulator', async () => {
    // "Real AWS" here is an emulator the demo did not start, reached only through the AWS SDK
    // environment, exactly as real AWS would be.
    // Its packages and associations are ready at once: against "real AWS" the demo keeps AWS's
    // 15 s polling interval, so every wait would otherwise cost a full interval.
    const aws = await startEmulator({
      durations: { packageCopyingMs: 0, packageValidatingMs: 0, associationMs: 0 },
    });
    try {
      // The domains and the bucket are in the Region the demo is given (the emulator keeps each
      // Region's resources apart, and packages import only from a bucket in their own Region).
      await aws.control
        .at({ region: 'eu-west-1', account: '123456789012' })
        .seedDomains([{ name: 'prod-search-a' }, { name: 'prod-search-b' }]);
      const s3 = new S3Client({
        endpoint: aws.url,
        region: 'eu-west-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
      });
      await s3.send(
        new CreateBucketCommand({
          Bucket: 'prod-staging',
          CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' },
        }),
      );
      s3.destroy();
      const dataHome = mkdtempSync(join(tmpdir(), 'rollouts-demo-'));
      const run = await runCli(['dev', '--exit-when-done', '--json'], {
        ...demoEnv(dataHome),
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: inject('temporalNamespace'),
        TEMPORAL_UI_URL: 'https://temporal.example.internal',
        ROLLOUTS_TASK_QUEUE: `demo-env-${randomUUID().slice(0, 8)}`,
        ROLLOUTS_DEMO_DOMAINS: 'prod-search-a,prod-search-b',
        ROLLOUTS_DEMO_STAGING_BUCKET: 'prod-staging',
        AWS_ENDPOINT_URL: aws.url,
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
        AWS_SECRET_ACCESS_KEY: 'example',
      });
      expect(run.code, run.stderr).toBe(0);
      const lines = run.lines<{ type: string; uiUrl?: string; result?: DictionaryRolloutResult }>();
      expect(lines[0]).toMatchObject({ type: 'started', uiUrl: 'https://temporal.example.internal' });
      const end = lines.at(-1)!;
      expect(end).toMatchObject({ type: 'result', outcome: 'succeeded' });
      expect(end.result!.domains.map((d) => [d.domain, d.state])).toEqual([
        ['prod-search-a', 'current'],
        ['prod-search-b', 'current'],
      ]);
      expect(end.result!.stagedObject.bucket).toBe('prod-staging');
      // The demo's own pieces stayed off: no dev server database, no emulator state file.
      expect(existsSync(join(dataHome, 'package-rollouts', 'dev.db'))).toBe(false);
      expect(existsSync(join(dataHome, 'package-rollouts', 'emulator.json'))).toBe(false);
      expect(run.stderr).not.toMatch(/dev server ready/);
      const associations = (await aws.control.calls({ operation: 'AssociatePackage' })).length;
      expect(associations).toBe(2);
    } finally {
      await aws.stop();
    }
  });
});
