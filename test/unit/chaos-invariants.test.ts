import { describe, expect, it } from 'vitest';
import type { EmulatorStateSnapshot } from '../../src/emulator/types.js';
import type { RunRecord } from '../../chaos/invariants.js';
import {
  checkGateOutcome,
  checkNoIndexClosed,
  checkNoThrottlingFailure,
  checkNotificationsAccounted,
  checkPluginRun,
  checkVerifiedRun,
} from '../../chaos/invariants-new-paths.js';
import type { GatePlan } from '../../chaos/plan.js';
import type { ReceivedNotification } from '../../chaos/receiver.js';
import { Violations } from '../../chaos/violations.js';

/**
 * Each invariant of the chaos suite's new paths fails on a crafted bad outcome, and holds on the
 * matching good one: a check that cannot fail proves nothing.
 */

const PKG = 'F111';

function state(domains: Array<{ name: string; version?: string; status?: string; processing?: boolean }>) {
  return {
    opensearch: {
      domains: domains.map((d) => ({
        name: d.name,
        processing: d.processing ?? false,
        associations: d.version
          ? [
              {
                packageId: PKG,
                packageName: 'p',
                domainName: d.name,
                status: d.status ?? 'ACTIVE',
                packageVersion: d.version,
              },
            ]
          : [],
      })),
      packages: [],
      attachments: [],
    },
  } as unknown as EmulatorStateSnapshot;
}

function record(extra: Partial<RunRecord>): RunRecord {
  return {
    chain: 'gated-0',
    step: 2,
    kind: 'dictionaryRollout',
    target: 'chaos-gate-0',
    workflowId: 'dictionary-rollout/chaos-gate-0',
    runId: 'run-1',
    startedAt: '',
    domains: ['a', 'b', 'c'],
    failingDomains: [],
    ...extra,
  };
}

const gatePlan = (failurePolicy: GatePlan['failurePolicy'], fire: GatePlan['fire'] = 'alarm') => ({
  failurePolicy,
  bakeSeconds: 3,
  fire,
  webhook: 'ok' as const,
  notifyFail: [],
  notifyHang: [],
  key: 'gated-0-s2',
});

const gateFailure = { gate: 'alarm' as const, wave: 0, alarm: 'chaos-a-health', reason: 'planned', at: 1 };

function dictResult(outcome: string, domains: Array<Record<string, unknown>>, extra: object = {}) {
  return { outcome, packageId: PKG, targetVersion: 'v3', domains, gateFailures: [gateFailure], ...extra };
}

function violated(run: (v: Violations) => void): string[] {
  const v = new Violations();
  run(v);
  return v.list.map((x) => x.invariant);
}

describe('chaos invariants of the new paths', () => {
  it('no index is left closed by a close/open refresh', () => {
    expect(violated((v) => checkNoIndexClosed([{ index: 'x', status: 'open' }], v))).toEqual([]);
    expect(
      violated((v) =>
        checkNoIndexClosed(
          [
            { index: 'x', status: 'open' },
            { index: 'verified-0-index', status: 'close' },
          ],
          v,
        ),
      ),
    ).toEqual(['no index is left closed by a close/open refresh']);
  });

  it('no notification lost without being reported', () => {
    const got = (seq: number, answer: number | 'hang'): ReceivedNotification => ({
      key: 'k',
      workflowId: 'w',
      runId: 'run-1',
      seq,
      event: 'started',
      answer,
    });
    const received = [got(1, 200), got(2, 'hang'), got(2, 200), got(3, 500), got(3, 500)];
    const r = (notifications: unknown) => record({ result: { notifications } });
    // Good: 1 and 2 delivered, 3 reported failed.
    expect(
      violated((v) =>
        checkNotificationsAccounted(
          r({ sent: 2, failed: [{ event: 'finished', seq: 3, reason: 'HTTP 500' }] }),
          received,
          v,
        ),
      ),
    ).toEqual([]);
    // Bad: 3 was answered 500 every time, yet the run counts it as sent.
    expect(violated((v) => checkNotificationsAccounted(r({ sent: 3, failed: [] }), received, v))).toEqual([
      'no notification lost without being reported',
    ]);
    // Bad: the receiver saw a fourth the run never accounted for; and a run with no report at all.
    expect(
      violated((v) =>
        checkNotificationsAccounted(
          r({ sent: 2, failed: [{ event: 'finished', seq: 3, reason: 'x' }] }),
          [...received, got(4, 500)],
          v,
        ),
      ),
    ).toEqual(['no notification lost without being reported']);
    expect(violated((v) => checkNotificationsAccounted(r(undefined), received, v))).toEqual([
      'no notification lost without being reported',
    ]);
  });

  it('a failed gate leads to what its policy says, and no domain is left between versions unexplained', () => {
    const before = state([
      { name: 'a', version: 'v1' },
      { name: 'b', version: 'v1' },
      { name: 'c', version: 'v1' },
    ]);
    // Rollback: every moved domain put back on the republished previous content (v3).
    const restored = state([
      { name: 'a', version: 'v3' },
      { name: 'b', version: 'v1' },
      { name: 'c', version: 'v1' },
    ]);
    const goodRollback = record({
      gates: gatePlan('rollback'),
      result: dictResult('rolled-back', [
        { domain: 'a', state: 'rolled-back', wave: 0, previousVersion: 'v1' },
        { domain: 'b', state: 'not-started', wave: 1, previousVersion: 'v1' },
        { domain: 'c', state: 'not-started', wave: 1, previousVersion: 'v1' },
      ]),
    });
    expect(violated((v) => checkGateOutcome(goodRollback, before, restored, v))).toEqual([]);
    // Bad: the gate failed under rollback, but the canary stayed current.
    const notRolledBack = record({
      gates: gatePlan('rollback'),
      result: dictResult('partial', [
        { domain: 'a', state: 'current', wave: 0, previousVersion: 'v1' },
        { domain: 'b', state: 'not-started', wave: 1 },
        { domain: 'c', state: 'not-started', wave: 1 },
      ]),
    });
    expect(violated((v) => checkGateOutcome(notRolledBack, before, restored, v))).toContain(
      'a failed gate leads to what its policy says',
    );
    // Bad: halt, yet the second wave went on after the gate failed after wave 1.
    const halted = record({
      gates: gatePlan('halt'),
      result: dictResult('partial', [
        { domain: 'a', state: 'current', wave: 0 },
        { domain: 'b', state: 'current', wave: 1 },
        { domain: 'c', state: 'not-started', wave: 1 },
      ]),
    });
    const after = state([
      { name: 'a', version: 'v3' },
      { name: 'b', version: 'v3' },
      { name: 'c', version: 'v1' },
    ]);
    expect(violated((v) => checkGateOutcome(halted, before, after, v))).toEqual([
      'a failed gate leads to what its policy says',
    ]);
    // Bad: a domain the result calls not-started moved in AWS (between versions, unexplained).
    const moved = state([
      { name: 'a', version: 'v3' },
      { name: 'b', version: 'v1' },
      { name: 'c', version: 'v3', status: 'ASSOCIATING' },
    ]);
    expect(violated((v) => checkGateOutcome(goodRollback, before, moved, v))).toEqual([
      'no domain is left between versions unexplained',
    ]);
    // Before wave 1 (the alarm already firing): nothing may start, whatever the policy.
    const early = { ...gateFailure, wave: -1 };
    const notStarted = (state: string) =>
      record({
        gates: gatePlan('rollback'),
        result: dictResult('failed', [{ domain: 'a', state, wave: 0 }], { gateFailures: [early] }),
      });
    expect(violated((v) => checkGateOutcome(notStarted('not-started'), before, before, v))).toEqual([]);
    expect(violated((v) => checkGateOutcome(notStarted('current'), before, before, v))).toContain(
      'a failed gate leads to what its policy says',
    );
    // Bad: the webhook answered 500 every time and no gate failed.
    const webhookPassed = record({
      gates: gatePlan('halt', 'webhook'),
      result: dictResult('succeeded', [], { gateFailures: [] }),
    });
    expect(violated((v) => checkGateOutcome(webhookPassed, before, before, v))).toEqual([
      'a planned gate failure fails the gate',
    ]);
  });

  it('under the budget, no domain fails by throttling', () => {
    const ok = record({ result: { domains: [{ domain: 'a', state: 'current' }] } });
    expect(violated((v) => checkNoThrottlingFailure([ok], v))).toEqual([]);
    const throttled = record({
      result: {
        domains: [
          {
            domain: 'a',
            state: 'failed',
            error: { type: 'AwsThrottled', message: 'ThrottlingException: Rate exceeded' },
          },
        ],
      },
    });
    expect(violated((v) => checkNoThrottlingFailure([ok, throttled], v))).toEqual([
      'under the budget, no domain fails by throttling',
    ]);
    const runThrottled = record({
      status: 'FAILED',
      failure: { type: 'AwsThrottled', message: 'Rate exceeded' },
    });
    expect(violated((v) => checkNoThrottlingFailure([runThrottled], v))).toEqual([
      'under the budget, no domain fails by throttling',
    ]);
  });

  it('plugin rollouts end with every domain at the planned package or reported', () => {
    const r = (domains: Array<Record<string, unknown>>) =>
      record({
        kind: 'pluginRollout',
        pluginAction: 'install',
        domains: ['a', 'b'],
        result: {
          packages: [
            { role: 'plugin', packageName: 'p', packageType: 'ZIP-PLUGIN', packageId: PKG, version: 'v2' },
          ],
          domains,
          counts: { done: 2, skipped: 0, failed: 0, notStarted: 0 },
        },
      });
    const both = state([
      { name: 'a', version: 'v2' },
      { name: 'b', version: 'v2' },
    ]);
    const good = r([
      { domain: 'a', state: 'current' },
      { domain: 'b', state: 'current' },
    ]);
    expect(violated((v) => checkPluginRun(good, both, v))).toEqual([]);
    // Bad: b is left in its deployment; a is current in the result but still at v1 in AWS.
    const stale = state([
      { name: 'a', version: 'v1' },
      { name: 'b', version: 'v2', processing: true },
    ]);
    expect(
      violated((v) =>
        checkPluginRun(
          r([
            { domain: 'a', state: 'current' },
            { domain: 'b', state: 'blue-green' },
          ]),
          stale,
          v,
        ),
      ),
    ).toEqual([
      'plugin rollouts end with every domain at the planned package or reported',
      'plugin rollouts end with every domain at the planned package or reported',
    ]);
    // Bad: a planned domain missing from the result.
    expect(violated((v) => checkPluginRun(r([{ domain: 'a', state: 'current' }]), both, v))).toEqual([
      'plugin rollouts end with every domain at the planned package or reported',
    ]);
  });

  it('a verified domain passed its probes', () => {
    const verification = (probesFailed: number) => ({
      status: probesFailed ? 'failed' : 'passed',
      probesPassed: 2 - probesFailed,
      probesFailed,
    });
    const r = (probesFailed: number) =>
      record({
        verifyToken: 'wcar',
        result: { domains: [{ domain: 'a', state: 'current', verification: verification(probesFailed) }] },
      });
    expect(violated((v) => checkVerifiedRun(r(0), v))).toEqual([]);
    expect(violated((v) => checkVerifiedRun(r(1), v))).toEqual(['a verified domain passed its probes']);
  });
});
