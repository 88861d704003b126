/**
 * Bad input, tried four ways against the running stack (the table is harness/hostile-inputs.ts,
 * shared with the unit and workflow tests):
 *
 * 1. through the TypeScript client's start functions: each must throw InvalidInputError naming the
 *    field, before anything is started;
 * 2. started directly as another SDK would, bypassing the client: each run must end InvalidInput
 *    naming the field; hostile file contents (binary, Latin-1, NUL bytes, 404s, ...) end InvalidSource;
 * 3. through the CLI (`rollouts dictionary|remove --input file.json`, and hostile flags), in
 *    process: each must exit 2 naming the problem;
 * 4. a sample of them through the CLI as its own process (`node --import tsx src/cli/main.ts`).
 *
 * None may cause a mutating AWS call, and nothing may be started by the CLI.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { AwsClients } from '../src/aws/clients.js';
import { runCli } from '../src/cli/run.js';
import { startDataSourceAttachment } from '../src/client/data-source-attachment.js';
import { startDictionaryRollout } from '../src/client/dictionary-rollout.js';
import { startIotPackageRelease } from '../src/client/iot-package-release.js';
import { startPluginRollout } from '../src/client/plugin-rollout.js';
import { startPackageRemoval } from '../src/client/package-removal.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import { WorkflowTypes, type WorkflowType } from '../src/model/constants.js';
import { FailureTypes } from '../src/model/failures.js';
import { InvalidInputError, type InputIssue } from '../src/model/validation.js';
import { hostileContents, hostileInputs, validInputs } from '../harness/hostile-inputs.js';
import { CLI_REFUSED_URLS, HARMLESS_URL } from './hostile-urls.js';
import type { Violations } from './violations.js';

export interface HostileReport {
  /** Every input tried, counted once per way it was tried. */
  tried: number;
  byWay: Record<string, number>;
  /** Distinct cases (table rows, hostile contents, hostile CLI command lines). */
  distinct: number;
  /** Runs the direct starts produced (their histories are scanned too). */
  runs: Array<{ workflowId: string; runId: string }>;
}

export interface HostileContext {
  client: Client;
  taskQueue: string;
  temporalAddress: string;
  control: EmulatorControl;
  aws: AwsClients;
  dir: string;
  /** Environment for the CLI (Temporal address, payload key, ...). */
  cliEnv: Record<string, string>;
  violations: Violations;
  log: (m: string) => void;
}

type Starter = (client: Client, input: never, options: { taskQueue: string }) => Promise<unknown>;
const starters: Record<WorkflowType, Starter> = {
  [WorkflowTypes.dictionaryRollout]: startDictionaryRollout as Starter,
  [WorkflowTypes.packageRemoval]: startPackageRemoval as Starter,
  [WorkflowTypes.dataSourceAttachment]: startDataSourceAttachment as Starter,
  [WorkflowTypes.iotPackageRelease]: startIotPackageRelease as Starter,
  [WorkflowTypes.pluginRollout]: startPluginRollout as Starter,
};

/** The CLI command that takes each workflow's input with --input (others have none yet). */
const cliCommand: Partial<Record<WorkflowType, string>> = {
  [WorkflowTypes.dictionaryRollout]: 'dictionary',
  [WorkflowTypes.packageRemoval]: 'remove',
};

/** Hostile command lines (flags rather than JSON); each must exit 2. */
function hostileCommandLines(dir: string): Array<{ id: string; argv: string[] }> {
  const notJson = join(dir, 'not-json.json');
  writeFileSync(notJson, '{ "packageName": "x", ');
  const d = ['dictionary', '--staging-bucket', 'hostile-staging'];
  // A dictionary command line for package cli-hostile; `inline` adds a text source and the domains.
  const named = (...rest: string[]) => [...d, '--package-name', 'cli-hostile', ...rest];
  const inline = (domains: string, ...rest: string[]) =>
    named('--text', 'a, b', '--domains', domains, ...rest);
  return [
    { id: 'cli-unknown-command', argv: ['deploy-everything'] },
    { id: 'cli-unknown-flag', argv: inline('hostile-1', '--force') },
    { id: 'cli-concurrency-not-a-number', argv: inline('hostile-1', '--max-concurrency', 'ten') },
    { id: 'cli-concurrency-exponent', argv: inline('hostile-1', '--max-concurrency', '1e3') },
    { id: 'cli-empty-domains', argv: inline('') },
    { id: 'cli-domains-trailing-comma-dup', argv: inline('hostile-1,hostile-1,') },
    { id: 'cli-input-missing-file', argv: ['dictionary', '--input', join(dir, 'does-not-exist.json')] },
    { id: 'cli-input-not-json', argv: ['dictionary', '--input', notJson] },
    {
      id: 'cli-source-s3-dot-dot',
      argv: named('--source-s3', 's3://hostile-sources/../secrets.txt', '--domains', 'hostile-1'),
    },
    ...Object.entries(CLI_REFUSED_URLS).map(([id, url]) => ({
      id,
      argv: named('--source-url', url, '--domains', 'hostile-1'),
    })),
    { id: 'cli-two-sources', argv: inline('hostile-1', '--source-url', HARMLESS_URL) },
    {
      id: 'cli-percentages-decreasing',
      argv: inline('hostile-1,hostile-2,d3x', '--wave-percentages', '60,30,100'),
    },
    {
      id: 'cli-package-name-shell',
      argv: [...d, '--package-name', 'x; rm -rf /', '--text', 'a, b', '--domains', 'hostile-1'],
    },
    { id: 'cli-remove-id-path-trick', argv: ['remove', '--package-id', '../F123'] },
    {
      id: 'cli-remove-name-and-id',
      argv: ['remove', '--package-name', 'cli-hostile', '--package-id', 'F123456789'],
    },
    {
      id: 'cli-remove-concurrency-negative',
      argv: ['remove', '--package-name', 'cli-hostile', '--max-concurrency', '-5'],
    },
    { id: 'cli-status-no-id', argv: ['status'] },
  ];
}

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

async function cliInProcess(argv: string[], env: Record<string, string>) {
  const stdout = new Collect();
  const stderr = new Collect();
  const code = await runCli(argv, env, { stdout, stderr });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function cliProcess(
  argv: string[],
  env: Record<string, string>,
): Promise<{ code: number | string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...argv], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('close', (code, signal) => resolve({ code: code ?? signal ?? -1, output }));
  });
}

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<void>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function tryHostileInputs(ctx: HostileContext): Promise<HostileReport> {
  const { client, taskQueue, control, violations: v } = ctx;
  const byWay: Record<string, number> = {
    client: 0,
    'direct start': 0,
    'file content': 0,
    'cli (in process)': 0,
    'cli (process)': 0,
  };
  const runs: HostileReport['runs'] = [];

  // Fixtures the table refers to.
  await control.seedDomains([{ name: 'hostile-1' }, { name: 'hostile-2' }]);
  for (const Bucket of ['hostile-sources', 'hostile-staging'])
    await ctx.aws.s3.send(new CreateBucketCommand({ Bucket }));
  for (const c of hostileContents.filter((x) => x.via === 's3'))
    await ctx.aws.s3.send(
      new PutObjectCommand({ Bucket: 'hostile-sources', Key: `${c.id}.txt`, Body: c.bytes }),
    );
  const http: Server = createServer((req, res) => {
    const c = hostileContents.find((x) => req.url === `/${x.id}.txt`);
    if (!c) return void res.writeHead(404).end();
    res.writeHead(c.status ?? 200, { 'content-length': String(c.declaredLength ?? c.bytes.length) });
    if (c.declaredLength === undefined) res.end(c.bytes);
    else res.write(c.bytes, () => res.destroy());
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // The call log's sequence number, not the clock, marks the end of the fixtures (same millisecond).
  const setupDone = (await control.calls()).reduce((max, c) => Math.max(max, c.seq), 0);

  try {
    // 1. Client start functions.
    for (const c of hostileInputs) {
      byWay.client!++;
      let error: unknown;
      try {
        await starters[c.workflow](client, c.input as never, { taskQueue: `${taskQueue}-client-never` });
      } catch (err) {
        error = err;
      }
      v.check(
        'bad input is refused naming the field (client)',
        error instanceof InvalidInputError && error.issues.some((i) => i.field === c.field),
        () => `${c.id}: ${error instanceof Error ? error.message : 'was accepted and started'}`,
      );
    }

    // 2. Direct starts, as another SDK would.
    await inBatches(hostileInputs, 8, async (c) => {
      byWay['direct start']!++;
      const workflowId = `hostile/${c.id}/${randomUUID().slice(0, 8)}`;
      const handle = await client.workflow.start(c.workflow, {
        taskQueue,
        workflowId,
        args: [c.input],
        workflowExecutionTimeout: '3 minutes',
      });
      runs.push({ workflowId, runId: handle.firstExecutionRunId });
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      const issues =
        cause instanceof ApplicationFailure
          ? (cause.details?.[0] as { issues?: InputIssue[] } | undefined)?.issues
          : undefined;
      v.check(
        'bad input is refused naming the field (workflow)',
        cause instanceof ApplicationFailure &&
          cause.type === FailureTypes.InvalidInput &&
          Boolean(issues?.some((i) => i.field === c.field)),
        () =>
          `${c.id}: ${err === undefined ? 'completed' : String((cause as Error | undefined)?.message ?? err)}`,
      );
    });
    await inBatches(hostileContents, 5, async (c) => {
      byWay['file content']!++;
      const source =
        c.via === 's3'
          ? { kind: 's3', bucket: 'hostile-sources', key: `${c.id}.txt` }
          : { kind: 'url', url: `${httpBase}/${c.id}.txt` };
      const workflowId = `hostile/content-${c.id}/${randomUUID().slice(0, 8)}`;
      const handle = await client.workflow.start(WorkflowTypes.dictionaryRollout, {
        taskQueue,
        workflowId,
        args: [{ ...validInputs.dictionaryRollout, packageName: `hostile-${c.id}`.slice(0, 28), source }],
        workflowExecutionTimeout: '3 minutes',
      });
      runs.push({ workflowId, runId: handle.firstExecutionRunId });
      const err = await handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      const failure = cause instanceof ActivityFailure ? cause.cause : cause;
      v.check(
        'hostile file content is refused before any change',
        failure instanceof ApplicationFailure &&
          failure.type === FailureTypes.InvalidSource &&
          c.message.test(failure.message),
        () =>
          `${c.id}: ${err === undefined ? 'completed' : String((failure as Error | undefined)?.message ?? err)}`,
      );
    });

    // 3. The CLI, in process: every table row of a workflow it can start, and hostile flags.
    const cliQueue = `${taskQueue}-cli-never`;
    const env = { ...ctx.cliEnv, ROLLOUTS_TASK_QUEUE: cliQueue };
    const cliCases: Array<{ id: string; argv: string[] }> = [];
    for (const c of hostileInputs) {
      const command = cliCommand[c.workflow];
      if (!command) continue;
      const file = join(ctx.dir, `hostile-${c.id}.json`);
      writeFileSync(file, JSON.stringify(c.input) ?? 'null');
      cliCases.push({ id: c.id, argv: [command, '--input', file, '--json'] });
    }
    const lines = hostileCommandLines(ctx.dir);
    for (const l of lines) cliCases.push({ id: l.id, argv: [...l.argv, '--json'] });
    for (const c of cliCases) {
      byWay['cli (in process)']!++;
      const run = await cliInProcess(c.argv, env);
      v.check(
        'bad input exits 2 naming the problem (CLI)',
        run.code === 2 && /"error"/.test(run.stdout + run.stderr),
        () => `${c.id}: exit ${run.code}: ${(run.stdout + run.stderr).slice(0, 300)}`,
      );
    }
    // 4. A sample through the CLI as users run it: its own process, exit code 2.
    const sample = [
      cliCases[0]!,
      cliCases[Math.floor(cliCases.length / 2)]!,
      ...lines.slice(0, 2).map((l) => ({ id: l.id, argv: l.argv })),
    ];
    await Promise.all(
      sample.map(async (c) => {
        byWay['cli (process)']!++;
        const run = await cliProcess(c.argv, env);
        v.check(
          'bad input exits 2 naming the problem (CLI process)',
          run.code === 2,
          () => `${c.id}: exit ${run.code}: ${run.output.slice(0, 300)}`,
        );
      }),
    );
    // Nothing the CLI was given may have started a workflow.
    const started = await client.workflow.count(
      `TaskQueue = "${cliQueue}" OR TaskQueue = "${taskQueue}-client-never"`,
    );
    v.check(
      'bad input starts nothing',
      started.count === 0,
      () => `${started.count} workflow(s) started on the CLI's / client's task queue`,
    );

    // AWS saw reads at most: no call that changes anything.
    const mutating = (await control.calls()).filter((c) => c.mutating && c.seq > setupDone);
    v.check(
      'bad input changes nothing in AWS',
      mutating.length === 0,
      () =>
        `mutating calls after call ${setupDone}: ${mutating.map((c) => `${c.service}:${c.operation} ${JSON.stringify(c.resource)} at ${c.realAt} -> ${c.httpStatus}`).join(', ')}`,
    );
    const tried = Object.values(byWay).reduce((a, b) => a + b, 0);
    return { tried, byWay, distinct: hostileInputs.length + hostileContents.length + lines.length, runs };
  } finally {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
}
