/**
 * The contract as a team in another language meets it: test/contract/python/run_contract.py drives
 * every workflow type through the official Temporal Python SDK, knowing only schemas/contract.json
 * and schemas/*.json, and checks every payload it sends or receives with a strict JSON Schema
 * validator. This file gives it a worker (on its own task queue, against the shared dev server) and
 * the emulator, prepares AWS for each scenario, and asserts on the checks the script reports.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { freshDictionaryEmulator, STAGING_BUCKET } from '../helpers/dictionary.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';
import { listedRun } from '../helpers/visibility.js';
import { provisionPythonContractEnv, PYTHON_DIR } from './python-env.js';

const SCHEMAS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'schemas');
const SCENARIO_TIMEOUT_MS = 150_000;

interface Check {
  name: string;
  ok: boolean;
  detail: unknown;
}
interface ScenarioRun {
  checks: Check[];
  exitCode: number | null;
  done: boolean;
  error?: string;
  stderr: string;
}
type CheckpointHandler = (data: Record<string, unknown>) => Promise<void>;

let stack: TestStack;
let python: string;

beforeAll(async () => {
  python = await provisionPythonContractEnv();
  stack = await startTestStack('python-contract');
});
afterAll(async () => {
  await stack?.stop();
});

/** Runs one scenario; at each checkpoint the matching handler acts, then the script goes on. */
async function scenario(
  name: string,
  params: Record<string, unknown>,
  checkpoints: Record<string, CheckpointHandler> = {},
): Promise<ScenarioRun> {
  const child = spawn(
    python,
    [
      join(PYTHON_DIR, 'run_contract.py'),
      ...['--address', inject('temporalAddress'), '--namespace', inject('temporalNamespace')],
      ...['--task-queue', stack.taskQueue, '--schemas', SCHEMAS_DIR],
      ...['--scenario', name, '--params', JSON.stringify(params)],
    ],
    // No __pycache__ in the clone.
    {
      cwd: PYTHON_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    },
  );
  const run: ScenarioRun = { checks: [], exitCode: null, done: false, stderr: '' };
  child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => {
      if (signal) run.stderr += `\n(ended by ${signal})`;
      resolve(code);
    }),
  );
  let readToEnd = false;
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as { event: string } & Record<string, unknown>;
      if (event.event === 'check') run.checks.push(event as unknown as Check);
      else if (event.event === 'done') run.done = true;
      else if (event.event === 'error') run.error = String(event.trace);
      else if (event.event === 'checkpoint') {
        const handler = checkpoints[String(event.name)];
        if (!handler) throw new Error(`scenario ${name}: no handler for checkpoint ${String(event.name)}`);
        await handler((event.data ?? {}) as Record<string, unknown>);
        child.stdin.write('go\n');
      }
    }
    readToEnd = true;
  } finally {
    // A failed checkpoint handler leaves the script waiting for its "go": end it. Not after its
    // output ended: the script may close stdout a moment before it exits, and killing it then
    // turned a passing scenario into exit code null.
    if (!readToEnd && child.exitCode === null) child.kill();
  }
  run.exitCode = await exited;
  return run;
}

/** The script finished, every check passed, and the named checks were among them. */
function expectPassed(run: ScenarioRun, required: string[]): void {
  expect(run.error ?? '', `the scenario broke:\n${run.error}\n${run.stderr}`).toBe('');
  expect(run.exitCode, run.stderr).toBe(0);
  expect(run.done).toBe(true);
  const failed = run.checks.filter((c) => !c.ok);
  expect(failed, JSON.stringify(failed, null, 2)).toEqual([]);
  const names = run.checks.map((c) => c.name);
  for (const r of required)
    expect(
      names.some((n) => n.includes(r)),
      `no check "${r}" in ${names.join('; ')}`,
    ).toBe(true);
}

/** `rollouts list ... --json` against the test's dev server: the workflow ids it lists. */
async function rolloutsList(args: string[]): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['bin/rollouts.js', 'list', ...args, '--json', '--address', inject('temporalAddress')].concat([
      '--namespace',
      inject('temporalNamespace'),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, out).toBe(0);
  const listed = JSON.parse(out) as
    Array<{ workflowId: string }> | { rollouts: Array<{ workflowId: string }> };
  return (Array.isArray(listed) ? listed : listed.rollouts).map((r) => r.workflowId);
}

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function dictionaryParams(domainCount: number, extra: Record<string, unknown> = {}) {
  await freshDictionaryEmulator(stack);
  const domains = Array.from({ length: domainCount }, () => unique('py'));
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  return { packageName: unique('synonyms-py'), domains, stagingBucket: STAGING_BUCKET, ...extra };
}

describe('the contract from Python (temporalio + jsonschema, schemas/ only)', () => {
  describe('dictionaryRollout', () => {
    it(
      'start, progress, plan, pause/resume and approve (updates and signals), a refused update, result',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const run = await scenario('dictionary-gated', await dictionaryParams(3));
        expectPassed(run, [
          'dictionaryRollout input valid',
          'dictionaryRollout progress query answer valid',
          'dictionaryRollout plan query answer valid',
          'dictionaryRollout approve update argument valid',
          'dictionaryRollout approve update answer valid',
          'dictionaryRollout approve signal argument valid',
          'dictionaryRollout result valid',
          'a second start is refused (conflict policy FAIL)',
          'update pause',
          'signals pause and resume',
          'the approve argument schema rejects wave 0',
          "update 'approve' with wave 0 is refused with failure type UpdateRefused",
          'update approve answers the approved wave',
          'outcome succeeded',
          'as the contract says',
        ]);
      },
    );

    it(
      'a cancelled run ends RolloutCancelled with its result in the details',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const run = await scenario('dictionary-cancelled', await dictionaryParams(3));
        expectPassed(run, [
          'RolloutCancelled',
          'result in RolloutCancelled details valid',
          'outcome cancelled',
        ]);
      },
    );

    it(
      "a failed domain: RolloutFailed, and the result in its details matches the schema, AWS's error included",
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const params = await dictionaryParams(1);
        const missingDomain = unique('gone');
        const run = await scenario('dictionary-failed-domain', {
          ...params,
          domains: [...params.domains, missingDomain],
          missingDomain,
        });
        expectPassed(run, ['RolloutFailed', 'result in RolloutFailed details valid', "carries AWS's error"]);
      },
    );

    it(
      'a run started from Python is found by `rollouts list` and by the list-view filters of docs/web-ui.md',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const params = await dictionaryParams(0);
        const domain = unique('gone');
        const target = String(params.packageName);
        const found: Record<string, boolean> = {};
        const run = await scenario(
          'dictionary-listed',
          { ...params, domains: [domain] },
          {
            ended: async ({ workflowId, runId }) => {
              // The filters the docs give, with this run's values: each must list the run.
              for (const query of [
                `RolloutKind = "dictionaryRollout" AND RolloutTarget = "${target}" AND RolloutStatus = "failed"`,
                'RolloutFailedDomains > 0',
                `RolloutDomains = "${domain}"`,
                `RolloutTarget = "${target}" AND RolloutTargetVersion = "v1"`,
              ])
                found[query] =
                  (await listedRun(stack.client, query, String(runId))).workflowId === workflowId;
              await vi.waitFor(
                async () =>
                  expect(await rolloutsList(['--kind', 'dictionary', '--target', target])).toContain(
                    workflowId,
                  ),
                { timeout: 20_000, interval: 300 },
              );
              found['rollouts list --kind dictionary --target'] = true;
              await vi.waitFor(
                async () => expect(await rolloutsList(['--domain', domain])).toContain(workflowId),
                {
                  timeout: 20_000,
                  interval: 300,
                },
              );
              found['rollouts list --domain'] = true;
            },
          },
        );
        expectPassed(run, ['ends RolloutFailed', 'as the contract says']);
        expect(Object.values(found)).toEqual(Object.keys(found).map(() => true));
        expect(Object.keys(found)).toHaveLength(6);
      },
    );

    it('bad input ends InvalidInput, naming the field', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const params = await dictionaryParams(1);
      await stack.emulator.control.clearCalls();
      const run = await scenario('dictionary-invalid', params);
      expectPassed(run, ['the input schema rejects', 'ends InvalidInput', 'issues as {field, rule}']);
      expect((await stack.emulator.control.calls()).filter((c) => c.mutating)).toEqual([]);
    });
  });

  describe('packageRemoval', () => {
    it('start, progress, result', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const run = await scenario('removal', await dictionaryParams(2), { published: async () => {} });
      expectPassed(run, [
        'packageRemoval input valid',
        'packageRemoval progress query answer valid',
        'packageRemoval result valid',
        'outcome removed',
      ]);
    });

    it(
      "a failed domain (an index uses the package): RolloutFailed, result with AWS's error matches the schema",
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const params = await dictionaryParams(3);
        const inUseDomain = params.domains[1]!;
        const run = await scenario(
          'removal-failed-domain',
          { ...params, inUseDomain },
          {
            published: async ({ packageId }) => {
              await stack.emulator.control.configureDomain(inUseDomain, {
                indexesUsingPackages: [String(packageId)],
              });
            },
          },
        );
        expectPassed(run, ['RolloutFailed', 'result in RolloutFailed details valid', "carries AWS's error"]);
      },
    );

    it('a cancelled run ends cancelled', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const params = await dictionaryParams(2);
      const run = await scenario('removal-cancelled', params, {
        // Dissociations that take ten minutes: the run is surely still dissociating when cancelled.
        published: async () => void (await stack.emulator.control.setDurations({ dissociationMs: 600_000 })),
      });
      expectPassed(run, [
        'a second start joins the running run (conflict policy USE_EXISTING)',
        'as the contract says',
        'a cancelled removal ends cancelled',
      ]);
    });

    it('bad input ends InvalidInput', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const run = await scenario('removal-invalid', {});
      expectPassed(run, [
        'the input schema rejects neither packageName nor packageId',
        'the run with neither packageName nor packageId ends InvalidInput',
        'the input schema rejects a packageName AWS refuses',
      ]);
    });
  });

  describe('iotPackageRelease', () => {
    const iotParams = async () => {
      await stack.emulator.control.reset();
      return { packageName: unique('agent') };
    };

    it(
      'approval gate: progress, a refused update, approve by update, result; a conflicting release fails with details',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const run = await scenario('iot-gated', await iotParams());
        expectPassed(run, [
          'iotPackageRelease progress query answer valid',
          'iotPackageRelease approve update argument valid',
          'iotPackageRelease approve update answer valid',
          'a second start is refused (conflict policy FAIL)',
          'as the contract says',
          'iotPackageRelease result valid',
          'the approve argument schema rejects approvedBy not a string',
          "update 'approve' with approvedBy not a string is refused with failure type UpdateRefused",
          'update approve answers the approval',
          'IotVersionConflict',
        ]);
      },
    );

    it('approve by signal', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      expectPassed(await scenario('iot-signal', await iotParams()), [
        'iotPackageRelease approve signal argument valid',
        'approved by signal: published',
      ]);
    });

    it('a cancelled run ends cancelled', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      expectPassed(await scenario('iot-cancelled', await iotParams()), [
        'a cancelled release ends cancelled',
      ]);
    });

    it('bad input ends InvalidInput', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      expectPassed(await scenario('iot-invalid', await iotParams()), [
        'the input schema rejects',
        'ends InvalidInput',
      ]);
    });
  });

  describe('dataSourceAttachment', () => {
    /** A domain (ACTIVE at once) and an application, ACTIVE or held CREATING until told otherwise. */
    const attachmentParams = async (creating: boolean) => {
      await stack.emulator.control.reset();
      const domain = unique('dsa');
      await stack.emulator.control.seedDomains([{ name: domain }]);
      await stack.emulator.control.setDurations({ applicationCreatingMs: creating ? 7 * 24 * 3600_000 : 0 });
      const app = await stack.aws.opensearch.send(new CreateApplicationCommand({ name: unique('app') }));
      return { applicationId: app.id!, dataSourceArn: `arn:aws:es:us-east-1:123456789012:domain/${domain}` };
    };

    it('start, progress, result', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const run = await scenario('attachment', await attachmentParams(false));
      expectPassed(run, [
        'dataSourceAttachment input valid',
        'dataSourceAttachment progress query answer valid',
        'dataSourceAttachment result valid',
        'ATTACHED',
      ]);
    });

    it(
      'the application fails while PENDING: AttachmentFailed with details',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const params = await attachmentParams(true);
        const run = await scenario('attachment-failed', params, {
          'fail-application': () =>
            stack.emulator.control.setApplicationStatus(params.applicationId, 'FAILED'),
        });
        expectPassed(run, ['AttachmentFailed', 'progress says failed']);
      },
    );

    it('a cancelled run ends cancelled', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      expectPassed(await scenario('attachment-cancelled', await attachmentParams(true)), [
        'a second start joins the running run (conflict policy USE_EXISTING)',
        'as the contract says',
        'a cancelled attachment ends cancelled',
      ]);
    });

    it('bad input ends InvalidInput', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      expectPassed(await scenario('attachment-invalid', await attachmentParams(false)), [
        'the input schema rejects',
        'ends InvalidInput',
      ]);
    });
  });

  describe('pluginRollout', () => {
    const ENGINE = 'OpenSearch_2.19';
    /** Domains on the given engine versions, the staging bucket, and a plugin name of its own. */
    const pluginParams = async (engines: string[]) => {
      await freshDictionaryEmulator(stack);
      const domains = engines.map(() => unique('plug'));
      await stack.emulator.control.seedDomains(
        domains.map((name, i) => ({ name, engineVersion: engines[i]! })),
      );
      await stack.emulator.control.clearCalls();
      return {
        packageName: unique('plugin-py'),
        domains,
        stagingBucket: STAGING_BUCKET,
        engineVersion: ENGINE,
      };
    };
    const mutatingCalls = async () => (await stack.emulator.control.calls()).filter((c) => c.mutating);

    it('start, a refused second start, progress, result', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const run = await scenario('plugin', await pluginParams([ENGINE, ENGINE]));
      expectPassed(run, [
        'pluginRollout input valid',
        'pluginRollout progress query answer valid',
        'pluginRollout result valid',
        "started with the id from the contract's template",
        'a second start is refused (conflict policy FAIL)',
        'outcome succeeded',
        'every domain current',
        'one ZIP-PLUGIN package, created',
        'as the contract says',
      ]);
    });

    it(
      'a domain on another engine version: EngineVersionMismatch, nothing changed',
      { timeout: SCENARIO_TIMEOUT_MS },
      async () => {
        const params = await pluginParams([ENGINE, 'OpenSearch_2.17']);
        const run = await scenario('plugin-engine-mismatch', {
          ...params,
          otherEngineDomain: params.domains[1],
        });
        expectPassed(run, ['EngineVersionMismatch', 'names the domain on the other engine version']);
        expect(await mutatingCalls()).toEqual([]);
      },
    );

    it('bad input ends InvalidInput, naming the field', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const run = await scenario('plugin-invalid', await pluginParams([ENGINE]));
      expectPassed(run, [
        'the input schema rejects an engine version not written OpenSearch_X.Y',
        'the run with an engine version not written OpenSearch_X.Y ends InvalidInput',
        'the input schema rejects no domains',
        'the run with no domains ends InvalidInput',
        'issues as {field, rule}',
      ]);
      expect(await mutatingCalls()).toEqual([]);
    });
  });
});
