/**
 * What every CLI test file shares: one test stack (Temporal worker and AWS emulator) per file, the
 * environment the CLI runs with, and the CLI run as users run it (its own process) or in-process.
 * `stack` and `env` are set by the hooks useCliStack registers; tests read them once those ran.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, inject } from 'vitest';
import { runCli as runCliInProcess } from '../../../src/cli/run.js';
import type { DictionaryRolloutResult } from '../../../src/model/dictionary-rollout.js';
import { TEST_CREDENTIALS } from '../../helpers/aws.js';
import { domainNames, freshDictionaryEmulator, STAGING_BUCKET } from '../../helpers/dictionary.js';
import { startTestStack, type TestStack } from '../../helpers/stack.js';
import { cliRun, runCli, type CliRun } from './run-cli.js';

export let stack: TestStack;
export let env: Record<string, string | undefined>;
export const dir = mkdtempSync(join(tmpdir(), 'rollouts-cli-'));

/** Registers the file's hooks: a stack for the whole file, a fresh emulator state per test. */
export function useCliStack(name: string): void {
  beforeAll(async () => {
    stack = await startTestStack(name);
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_NAMESPACE: inject('temporalNamespace'),
      ROLLOUTS_TASK_QUEUE: stack.taskQueue,
      AWS_ENDPOINT_URL: stack.emulator.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    };
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    await freshDictionaryEmulator(stack);
  });
}

export const rollouts = (...args: string[]) => runCli(args, env);
export const fast = ['--poll-interval', '0.2', '--staging-bucket', STAGING_BUCKET];

export async function seeded(prefix: string, n: number): Promise<string[]> {
  const domains = domainNames(prefix, n);
  await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
  return domains;
}

/** What a start or cancel with --wait --json prints at the end. */
export interface EndDoc {
  workflowId: string;
  ok: boolean;
  outcome?: string;
  result?: DictionaryRolloutResult;
  failure?: { type: string; message: string };
}

/**
 * Runs the CLI in this process: the same runCli the bin entry calls, with this file's environment,
 * minus a process start (about a second each, several under load), for tests that make many calls.
 */
export async function inProcess(args: string[]): Promise<CliRun> {
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
  return cliRun(code, stdout, stderr);
}
