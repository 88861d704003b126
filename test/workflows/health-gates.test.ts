import { readFileSync } from 'node:fs';
import { SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { startPackageRemoval } from '../../src/client/package-removal.js';
import type { DictionaryRolloutInput, DictionaryRolloutResult } from '../../src/model/dictionary-rollout.js';
import { InvalidInputError } from '../../src/model/validation.js';
import { rolloutProgress } from '../../src/client/index.js';
import { domainNames, domainVersions, freshDictionaryEmulator, rolloutInput } from '../helpers/dictionary.js';
import { recordHistory } from '../helpers/history.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const TOKEN = 'gate-token-value-never-in-history';

beforeAll(async () => {
  // The worker reads bearer tokens from its own environment, by the name the input gives.
  process.env.ROLLOUTS_SECRET_GATE_TOKEN = TOKEN;
  stack = await startTestStack('health-gates');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack);
});

async function start(input: DictionaryRolloutInput) {
  return startDictionaryRollout(stack.client, input, { taskQueue: stack.taskQueue });
}

/** The result, whether the run succeeded or ended Failed with the result as its detail. */
async function settled(
  handle: WorkflowHandle,
): Promise<{ result: DictionaryRolloutResult; message?: string }> {
  try {
    return { result: (await handle.result()) as DictionaryRolloutResult };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause as ApplicationFailure;
    return { result: cause.details?.[0] as DictionaryRolloutResult, message: cause.message };
  }
}

async function waitForPhase(handle: WorkflowHandle, phase: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const p = (await rolloutProgress(handle)) as { phase: string };
      if (p.phase !== phase) throw new Error(`phase ${p.phase}`);
    },
    { timeout: 60_000, interval: 100 },
  );
}

async function historyText(workflowId: string): Promise<string> {
  return JSON.stringify(await stack.client.workflow.getHandle(workflowId).fetchHistory());
}

describe('alarm gates', () => {
  describe.each(['halt', 'rollback'] as const)(
    'an alarm firing during the canary bake (%s)',
    (failurePolicy) => {
      it(`stops the rollout${failurePolicy === 'rollback' ? ' and puts the canary back' : ''}; the result names the alarm`, async () => {
        const domains = domainNames(`bake-${failurePolicy}`, 3);
        await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
        await stack.emulator.control.createAlarms([
          ...domains.map((d) => ({ name: `opensearch-${d}-cluster-red` })),
          { name: 'fleet-search-latency' },
        ]);
        const pkg = `synonyms-bake-${failurePolicy}`;
        const first = await start(rolloutInput(pkg, domains, 'old\n'));
        const { result: before } = await settled(first.handle);
        expect(before.outcome).toBe('succeeded');

        const { handle, workflowId } = await start(
          rolloutInput(pkg, domains, 'new\n', {
            policy: {
              failurePolicy,
              waves: { strategy: 'sizes', canary: 1, sizes: [2] },
              bakeSeconds: 600,
              gates: {
                alarms: {
                  names: ['opensearch-{domain}-cluster-red', 'fleet-search-latency'],
                  checkIntervalSeconds: 0.2,
                },
              },
            },
          }),
        );
        await waitForPhase(handle, 'baking');
        const progress = (await rolloutProgress(handle)) as { bakeUntil?: number; currentWave: number };
        expect(progress.currentWave).toBe(0);
        expect(progress.bakeUntil).toBeGreaterThan(Date.now());
        await stack.aws.cloudwatch.send(
          new SetAlarmStateCommand({
            AlarmName: `opensearch-${domains[0]}-cluster-red`,
            StateValue: 'ALARM',
            StateReason: 'ClusterStatus.red >= 1',
          }),
        );
        const { result, message } = await settled(handle);
        expect(result.gateFailures).toEqual([
          expect.objectContaining({
            gate: 'alarm',
            wave: 0,
            alarm: `opensearch-${domains[0]}-cluster-red`,
            state: 'ALARM',
            reason: 'ClusterStatus.red >= 1',
          }),
        ]);
        expect(message).toContain(`opensearch-${domains[0]}-cluster-red`);
        const states = result.domains.map((d) => d.state);
        const versions = await domainVersions(stack, result.packageId);
        if (failurePolicy === 'halt') {
          expect(result.outcome).toBe('partial');
          expect(states).toEqual(['current', 'not-started', 'not-started']);
          expect(versions[domains[0]!]!.version).toBe('v2');
        } else {
          expect(result.outcome).toBe('rolled-back');
          expect(states).toEqual(['rolled-back', 'not-started', 'not-started']);
          // The canary is back on the previous content, republished as v3.
          expect(versions[domains[0]!]).toEqual({ status: 'ACTIVE', version: 'v3' });
          const pkgState = (await stack.emulator.control.state()).opensearch.packages.find(
            (p) => p.id === result.packageId,
          )!;
          const sha = Object.fromEntries(pkgState.versions.map((v) => [v.version, v.sha256]));
          expect(sha.v3).toBe(sha.v1);
          await recordHistory(stack.client, workflowId, 'dictionary-rollout-alarm-during-bake-rollback');
        }
        // Waves after the canary never started.
        expect(versions[domains[1]!]!.version).toBe('v1');
      });
    },
  );

  it('does not start while a named alarm is already in ALARM, and says so; nothing is changed', async () => {
    const domains = domainNames('prefire', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.createAlarms([
      { name: `opensearch-${domains[1]}-jvm-pressure`, state: 'ALARM', reason: 'JVMMemoryPressure > 90' },
    ]);
    await stack.emulator.control.clearCalls();
    const { handle, workflowId } = await start(
      rolloutInput('synonyms-prefire', domains, 'a\n', {
        policy: { gates: { alarms: { prefixes: ['opensearch-{domain}-jvm'] } } },
      }),
    );
    const { result, message } = await settled(handle);
    expect(message).toMatch(
      new RegExp(`rollout not started: alarm opensearch-${domains[1]}-jvm-pressure is ALARM before wave 1`),
    );
    expect(result.outcome).toBe('failed');
    expect(result.gateFailures?.[0]).toMatchObject({
      gate: 'alarm',
      wave: -1,
      reason: 'JVMMemoryPressure > 90',
    });
    expect(result.domains.map((d) => d.state)).toEqual(['not-started', 'not-started']);
    const calls = await stack.emulator.control.calls();
    expect(calls.filter((c) => c.mutating)).toEqual([]);
    expect(calls.filter((c) => c.service === 'monitoring').map((c) => c.operation)).toEqual([
      'DescribeAlarms',
      'DescribeAlarms',
    ]);
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-alarm-before-first-wave');
  });

  it('INSUFFICIENT_DATA fails the gate only when the input says so', async () => {
    const domains = domainNames('nodata', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.emulator.control.createAlarms([{ name: 'fleet-errors', state: 'INSUFFICIENT_DATA' }]);
    const lenient = await start(
      rolloutInput('synonyms-nodata', domains, 'a\n', {
        policy: { gates: { alarms: { names: ['fleet-errors'] } } },
      }),
    );
    expect((await settled(lenient.handle)).result.outcome).toBe('succeeded');
    const strict = await start(
      rolloutInput('synonyms-nodata', domains, 'b\n', {
        policy: { gates: { alarms: { names: ['fleet-errors'], failOnInsufficientData: true } } },
      }),
    );
    const { result } = await settled(strict.handle);
    expect(result.gateFailures?.[0]).toMatchObject({ alarm: 'fleet-errors', state: 'INSUFFICIENT_DATA' });
  });
});

describe('webhook gates', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('a 2xx passes: each wave posts the rollout context with the bearer token from the worker', async () => {
    receiver.received.length = 0;
    receiver.answer = () => 204;
    const domains = domainNames('hookok', 3);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const { handle, workflowId } = await start(
      rolloutInput('synonyms-hookok', domains, 'a\n', {
        policy: {
          waves: { strategy: 'sizes', canary: 1, sizes: [2] },
          gates: {
            webhooks: [
              { name: 'smoke', url: `${receiver.url}/check`, bearerTokenEnv: 'ROLLOUTS_SECRET_GATE_TOKEN' },
            ],
          },
        },
      }),
    );
    const { result } = await settled(handle);
    expect(result.outcome).toBe('succeeded');
    expect(receiver.received.map((r) => [r.path, (r.body as { wave: number }).wave])).toEqual([
      ['/check', 1],
      ['/check', 2],
    ]);
    expect(receiver.received[0]!.body).toMatchObject({
      workflowId,
      package: 'synonyms-hookok',
      version: 'v1',
      wave: 1,
      waves: 2,
      domains: [domains[0]],
    });
    expect(receiver.received[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(await historyText(workflowId)).not.toContain(TOKEN);
    await recordHistory(stack.client, workflowId, 'dictionary-rollout-webhook-gates');
  });

  describe.each([
    ['answering 500', () => 500 as const, /HTTP 500/],
    ['not answering', () => 'hang' as const, /no answer within 0.5s/],
  ])('a webhook %s', (_what, answer, reason) => {
    it('fails the gate after its retries; the halt policy stops the rollout', async () => {
      receiver.received.length = 0;
      receiver.answer = answer;
      const domains = domainNames(`hookbad${receiver.received.length}${String(reason).length}`, 2);
      await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
      const { handle } = await start(
        rolloutInput(`synonyms-hookbad-${String(reason).length}`, domains, 'a\n', {
          policy: {
            gates: {
              webhooks: [{ name: 'smoke', url: `${receiver.url}/smoke`, retries: 2, timeoutSeconds: 0.5 }],
            },
          },
        }),
      );
      const { result, message } = await settled(handle);
      expect(receiver.received).toHaveLength(3);
      expect(result.outcome).toBe('partial');
      expect(result.gateFailures?.[0]).toMatchObject({
        gate: 'webhook',
        webhook: 'smoke',
        url: `${receiver.url}/smoke`,
        wave: 0,
      });
      expect(result.gateFailures?.[0]?.reason).toMatch(reason);
      expect(message).toMatch(/gate failed \(webhook smoke/);
      expect(result.domains.map((d) => d.state)).toEqual(['current', 'not-started']);
    });
  });

  it('a webhook URL the outbound policy refuses (a private address) fails the gate without a call', async () => {
    const domains = domainNames('hookprivate', 1);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const { handle } = await start(
      rolloutInput('synonyms-hookprivate', domains, 'a\n', {
        policy: { gates: { webhooks: [{ name: 'internal', url: 'https://10.1.2.3/check' }] } },
      }),
    );
    const { result } = await settled(handle);
    expect(result.gateFailures?.[0]?.reason).toMatch(/private address; refused before connecting/);
  });
});

describe('notifications', () => {
  const schema = z.fromJSONSchema(JSON.parse(readFileSync('schemas/notification.schema.json', 'utf8')));

  it('the receiver gets every event in order, each with the documented body', async () => {
    const receiver = await startReceiver();
    try {
      const domains = domainNames('notify', 3);
      await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
      await stack.emulator.control.createAlarms([{ name: `opensearch-${domains[0]}-red` }]);
      const { handle, workflowId } = await start(
        rolloutInput('synonyms-notify', domains, 'a\n', {
          policy: {
            waves: { strategy: 'sizes', canary: 1, sizes: [2] },
            approvalBetweenWaves: true,
            bakeSeconds: 0.5,
            gates: { alarms: { names: ['opensearch-{domain}-red'], checkIntervalSeconds: 0.1 } },
          },
          notifications: { url: `${receiver.url}/events` },
        }),
      );
      await waitForPhase(handle, 'waiting-for-approval');
      await handle.executeUpdate('approve', { args: [{}] });
      const { result } = await settled(handle);
      expect(result.outcome).toBe('succeeded');
      expect(result.notifications).toEqual({ sent: 5, failed: [] });
      const bodies = receiver.received.map((r) => r.body as Record<string, unknown>);
      expect(bodies.map((b) => [b.seq, b.event, b.wave])).toEqual([
        [1, 'started', undefined],
        [2, 'wave-started', 1],
        [3, 'waiting-for-approval', 2],
        [4, 'wave-started', 2],
        [5, 'finished', undefined],
      ]);
      for (const b of bodies) {
        expect(schema.safeParse(b).error?.issues ?? []).toEqual([]);
        expect(b).toMatchObject({
          workflowType: 'dictionaryRollout',
          workflowId,
          package: 'synonyms-notify',
        });
        expect(b.text).toMatch(/^\[dictionaryRollout /);
      }
      expect(bodies[4]).toMatchObject({ outcome: 'succeeded', version: 'v1' });
      await recordHistory(stack.client, workflowId, 'dictionary-rollout-gates-and-notifications');
    } finally {
      await receiver.close();
    }
  });

  it('while the receiver is down the rollout still completes, and the failed deliveries are reported', async () => {
    const down = await startReceiver();
    const url = `${down.url}/events`;
    await down.close(); // nothing listens there now
    const domains = domainNames('notifydown', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const { handle } = await start(
      rolloutInput('synonyms-notifydown', domains, 'a\n', {
        notifications: { url, events: ['started', 'finished'] },
      }),
    );
    const { result } = await settled(handle);
    expect(result.outcome).toBe('succeeded');
    expect(result.notifications?.sent).toBe(0);
    expect(result.notifications?.failed.map((f) => [f.seq, f.event])).toEqual([
      [1, 'started'],
      [2, 'finished'],
    ]);
    expect(result.notifications?.failed[0]?.reason).toMatch(/ECONNREFUSED/);
  });
});

describe('notifications of the other workflow types', () => {
  it('a package removal sends started and finished, and reports its deliveries', async () => {
    const receiver = await startReceiver();
    try {
      const domains = domainNames('notifyrm', 2);
      await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
      await settled((await start(rolloutInput('stopwords-notifyrm', domains, 'a\n'))).handle);
      const { handle, workflowId } = await startPackageRemoval(
        stack.client,
        { packageName: 'stopwords-notifyrm', pollIntervalSeconds: 0.2, notifications: { url: receiver.url } },
        { taskQueue: stack.taskQueue },
      );
      const result = await handle.result();
      expect(result.notifications).toEqual({ sent: 2, failed: [] });
      expect(receiver.received.map((r) => r.body)).toEqual([
        expect.objectContaining({ seq: 1, event: 'started', workflowType: 'packageRemoval', workflowId }),
        expect.objectContaining({
          seq: 2,
          event: 'finished',
          workflowType: 'packageRemoval',
          package: 'stopwords-notifyrm',
        }),
      ]);
      await recordHistory(stack.client, workflowId, 'package-removal-notifications');
    } finally {
      await receiver.close();
    }
  });
});

describe('bake history', () => {
  it('a bake adds the same bounded events however many checks it makes', async () => {
    const counts: Array<{ bakeSeconds: number; events: number; attempts: number }> = [];
    for (const bakeSeconds of [0.3, 3]) {
      await freshDictionaryEmulator(stack);
      const domains = domainNames(`bakeev${String(bakeSeconds).replace('.', '')}`, 1);
      await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
      await stack.emulator.control.createAlarms([{ name: 'fleet-ok' }]);
      const { handle, workflowId } = await start(
        rolloutInput(`synonyms-bakeev-${String(bakeSeconds).replace('.', '')}`, domains, 'a\n', {
          policy: { bakeSeconds, gates: { alarms: { names: ['fleet-ok'], checkIntervalSeconds: 0.1 } } },
        }),
      );
      await settled(handle);
      const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
      const events = history.events ?? [];
      // The bake activity is the last watchAlarms scheduled; its attempt count is on its Started event.
      const scheduled = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'watchAlarms',
      );
      const bakeId = scheduled.at(-1)!.eventId!;
      const started = events.find(
        (e) =>
          e.activityTaskStartedEventAttributes &&
          String(e.activityTaskStartedEventAttributes.scheduledEventId) === String(bakeId),
      )!;
      counts.push({
        bakeSeconds,
        events: events.length,
        attempts: started.activityTaskStartedEventAttributes!.attempt!,
      });
    }
    console.log(`bake history: ${JSON.stringify(counts)}`);
    expect(counts[1]!.attempts).toBeGreaterThan(counts[0]!.attempts);
    // The same events within a workflow task (3 events) when completions arrive batched
    // differently on a loaded machine; a bake polled in history would add events per poll.
    expect(Math.abs(counts[1]!.events - counts[0]!.events)).toBeLessThanOrEqual(3);
  });
});

describe('bad gate input', () => {
  it.each([
    [
      { policy: { gates: { webhooks: [{ name: 'x', url: 'http://example.com/hook' }] } } },
      'policy.gates.webhooks[0].url',
    ],
    [{ policy: { gates: { webhooks: [{ name: 'x', url: 'not a url' }] } } }, 'policy.gates.webhooks[0].url'],
    [{ policy: { gates: { alarms: { names: ['a'.repeat(256)] } } } }, 'policy.gates.alarms.names[0]'],
    [
      { policy: { gates: { alarms: { prefixes: [`${'a'.repeat(230)}{domain}`] } } } },
      'policy.gates.alarms.prefixes[0]',
    ],
    [{ policy: { bakeSeconds: 2 * 24 * 3600 } }, 'policy.bakeSeconds'],
    [
      { notifications: { url: 'https://hooks.example.com/x', bearerTokenEnv: 'AWS_SECRET_ACCESS_KEY' } },
      'notifications.bearerTokenEnv',
    ],
  ] as Array<[Partial<DictionaryRolloutInput>, string]>)(
    'is refused before any AWS call, naming the field (%#)',
    async (extra, field) => {
      await stack.emulator.control.clearCalls();
      const err = await start(rolloutInput('synonyms-badgate', ['d-1'], 'a\n', extra)).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(InvalidInputError);
      expect((err as InvalidInputError).issues.map((i) => i.field)).toContain(field);
      expect(await stack.emulator.control.calls()).toEqual([]);
    },
  );
});
