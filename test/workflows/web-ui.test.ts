import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { destroyAwsClients, type AwsClients } from '../../src/aws/clients.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import type { DictionaryRolloutResult } from '../../src/model/dictionary-rollout.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { resolveTemporalCli } from '../../src/temporal/cli.js';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { createRolloutWorker } from '../../src/worker/create-worker.js';
import { createBucket, domainNames, rolloutInput } from '../helpers/dictionary.js';
import { awsClientsFor } from '../helpers/aws.js';
import type { TestStack } from '../helpers/stack.js';
import { listedRun } from '../helpers/visibility.js';

/**
 * The Web UI of a dev server of our own (the shared one is headless), opened in headless Debian
 * Chromium through playwright-core, after a dictionary rollout ran to completion. Screenshots are
 * kept in test-results/ as the test's artifact.
 *
 * The browser is provisioned by the test command's global setup (src/provision/chromium.ts:
 * CHROMIUM_PATH, one found on the machine, or Debian's package installed when running as root);
 * playwright-core drives it (its own browser download does not work on machines without internet).
 */

const CHROMIUM = inject('chromiumPath');
const ARTIFACTS = fileURLToPath(new URL('../../test-results/', import.meta.url));
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long one page may take to render what we look for (loaded 2-core machines). */
const PAGE_TIMEOUT = 20_000;

let server: DevServer;
let uiUrl: string;
let connection: Connection;
let nativeConnection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
let emulator: RunningEmulator;
let aws: AwsClients;
let context: BrowserContext;
let page: Page;
let userDataDir: string;

const packageName = 'synonyms-web-ui';
const domains = domainNames('web-ui', 3);
let handle: WorkflowHandle;
let workflowId: string;
let runId: string;
let summary: string;
let result: DictionaryRolloutResult;

beforeAll(async () => {
  expect(
    CHROMIUM && existsSync(CHROMIUM),
    `no browser for the Web UI test: ${inject('chromiumProblem')}`,
  ).toBe(true);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = (m: string) => process.stderr.write(`[web-ui] ${m}\n`);
  server = await startDevServer({ cli: await resolveTemporalCli({ log }), headless: false, log });
  expect(server.uiUrl, 'the dev server was started without its Web UI').toBeDefined();
  uiUrl = server.uiUrl!;

  emulator = await startEmulator({
    durations: { packageCopyingMs: 50, packageValidatingMs: 50, associationMs: 200 },
  });
  aws = awsClientsFor(emulator);
  await createBucket({ aws } as TestStack);
  await emulator.control.seedDomains(domains.map((name) => ({ name })));

  nativeConnection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'web-ui';
  worker = await createRolloutWorker({
    connection: nativeConnection,
    namespace: server.namespace,
    taskQueue,
    deps: { aws },
    // Tests: a non-deterministic change fails the run instead of blocking it.
    failOnNondeterminism: true,
    shutdownGraceTime: '1s',
  });
  running = worker.run();
  connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });

  ({ handle, workflowId } = await startDictionaryRollout(
    client,
    rolloutInput(packageName, domains, 'car, automobile\n', {
      policy: { waves: { strategy: 'sizes', canary: 1, sizes: [2] } },
    }),
    { taskQueue },
  ));
  result = await dictionaryRolloutResult(handle);
  const description = await handle.describe();
  runId = description.runId;
  summary = (await description.staticSummary())!;
  // The list view reads the visibility store: wait until it has the final status.
  await listedRun(client, `RolloutTarget = "${packageName}" AND RolloutStatus = "succeeded"`, runId);

  userDataDir = mkdtempSync(join(tmpdir(), 'web-ui-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
  if (aws) destroyAwsClients(aws);
  await emulator?.stop();
  await server?.stop();
});

const runPage = (tab: string) =>
  `${uiUrl}/namespaces/${server.namespace}/workflows/${encodeURIComponent(workflowId)}/${runId}/${tab}`;

/**
 * The page's text, with that of its frames: the UI renders Markdown (summary, details, current
 * details) in iframes of its own `/render` page.
 */
async function pageText(): Promise<string> {
  const parts = await Promise.all(
    page.frames().map((frame) =>
      frame
        .locator('body')
        .innerText({ timeout: 1000 })
        .catch(() => ''),
    ),
  );
  return parts.join('\n');
}

/**
 * Opens a page and waits (bounded) until every one of `expected` is shown; returns the text.
 * A RegExp stands for wording that differs between UI releases.
 */
async function open(url: string, expected: (string | RegExp)[]): Promise<string> {
  await page.goto(url);
  const deadline = Date.now() + PAGE_TIMEOUT;
  for (;;) {
    const text = await pageText();
    const missing = expected.filter((e) => (typeof e === 'string' ? !text.includes(e) : !e.test(text)));
    if (missing.length === 0) return text;
    if (Date.now() > deadline) {
      await screenshot(`failed-${new URL(url).pathname.split('/').pop() ?? 'page'}`);
      throw new Error(
        `${url} did not show ${missing.map(String).join(', ')} within ${PAGE_TIMEOUT} ms:\n${text}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function screenshot(name: string): Promise<string> {
  const path = join(ARTIFACTS, `web-ui-${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

describe('the Temporal Web UI shows a finished dictionary rollout', () => {
  it('the run succeeded (what the pages below show)', () => {
    expect(result.outcome).toBe('succeeded');
    expect(summary).toBe(`dictionary ${packageName} -> 3 domain(s), halt on failure`);
  });

  it('user metadata: the summary, the Markdown details and current details', async () => {
    const text = await open(runPage('user-metadata'), [
      // "Completed" up to UI 2.42, "COMPLETED" in 2.54.
      /completed/i,
      summary,
      // Markdown details, rendered.
      `Dictionary rollout of ${packageName}`,
      `domains (3): ${domains.join(', ')}`,
      // Current details: asked of the worker (a query) by the page.
      'done',
      `${packageName} ${result.packageId} → v1`,
      'wave 2 of 2',
    ]);
    expect(text).not.toContain('**');
    await screenshot('user-metadata');
  });

  it('search attributes: kind, target, status, domains, failed domains, target version', async () => {
    const text = await open(runPage('search-attributes'), ['RolloutTargetVersion']);
    const shown = JSON.parse(text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1)) as Record<
      string,
      unknown
    >;
    // UI 2.42 wraps the attributes in `indexedFields`; 2.54 shows them as they are.
    const attributes = (shown.indexedFields ?? shown) as Record<string, unknown>;
    expect(attributes, text).toMatchObject({
      RolloutKind: 'dictionaryRollout',
      RolloutTarget: packageName,
      RolloutStatus: 'succeeded',
      RolloutDomains: domains,
      RolloutFailedDomains: 0,
      RolloutTargetVersion: 'v1',
    });
    await screenshot('search-attributes');
  });

  it('history: the summary on the run and the step names (activity summaries) on the activities', async () => {
    await open(runPage('history'), [
      /completed/i,
      summary,
      `wait until ${result.packageId} is AVAILABLE`,
      ...domains.map((d) => `associate ${result.packageId} v1 -> ${d}`),
    ]);
    await screenshot('history');
  });

  it('the list view filters by the search attributes', async () => {
    const query = `RolloutKind = "dictionaryRollout" AND RolloutTarget = "${packageName}" AND RolloutStatus = "succeeded"`;
    await open(`${uiUrl}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(query)}`, [
      workflowId,
      runId,
    ]);
    await screenshot('list');
    // ... and a filter that does not match this run shows nothing of it.
    const none = `RolloutTarget = "${packageName}" AND RolloutStatus = "failed"`;
    const text = await open(
      `${uiUrl}/namespaces/${server.namespace}/workflows?query=${encodeURIComponent(none)}`,
      // "No Results" up to UI 2.42, "No Workflows Found" in 2.54.
      [/No Results|No Workflows Found/],
    );
    expect(text).not.toContain(runId);
  });
});
