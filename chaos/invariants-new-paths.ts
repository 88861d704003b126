/**
 * The invariants of the paths added after the first chaos suite (verified rollouts, health gates
 * and notifications, the AWS call budget, plugin rollouts). Each is a pure function of what the run
 * recorded (its result, the emulator's state, what the receiver got, the node's index states), so
 * test/unit/chaos-invariants.test.ts can show each one failing on a crafted bad outcome:
 *
 * - a verified domain passed its probes (every domain the result calls current, verification passed);
 * - no index is left closed by a close/open refresh (the node's index states at the end);
 * - no notification lost without being reported: every notification a run made (1..sent+failed,
 *   and any the receiver saw) was answered 2xx by the receiver or is in the result's
 *   `notifications.failed`;
 * - a failed gate leads to what its policy says: rollback puts every moved domain back (no domain
 *   left current, outcome rolled-back), halt starts no later wave;
 * - no domain is left between versions unexplained: each domain of a gated run is where its state
 *   in the result says (target, restored, untouched), or the result says why it failed;
 * - under the budget, no domain fails by throttling (no run or domain failure names throttling);
 * - plugin rollouts end with every domain at the planned package or reported (failed, with why).
 */
import type { EmulatorStateSnapshot } from '../src/emulator/types.js';
import type { DictionaryRolloutResult } from '../src/model/dictionary-rollout.js';
import type { PluginRolloutResult } from '../src/model/plugin-rollout.js';
import type { RunRecord } from './invariants.js';
import type { ReceivedNotification } from './receiver.js';
import type { Violations } from './violations.js';

const where = (r: RunRecord) => `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;

function association(state: EmulatorStateSnapshot, domain: string, packageId: string) {
  return state.opensearch.domains
    .find((d) => d.name === domain)
    ?.associations.find((a) => a.packageId === packageId);
}

export function checkVerifiedRun(r: RunRecord, v: Violations): void {
  const result = r.result as DictionaryRolloutResult | undefined;
  if (!result) return; // reported by 'a rollout that ran has a result'
  for (const d of result.domains.filter((x) => x.state === 'current'))
    v.check(
      'a verified domain passed its probes',
      d.verification?.status === 'passed' &&
        d.verification.probesFailed === 0 &&
        d.verification.probesPassed > 0,
      () =>
        `${where(r)}: ${d.domain} is current but its verification is ${JSON.stringify(d.verification ?? 'missing')}`,
    );
}

export function checkNoIndexClosed(indexes: Array<{ index: string; status: string }>, v: Violations): void {
  for (const i of indexes)
    v.check(
      'no index is left closed by a close/open refresh',
      i.status === 'open',
      () => `index ${i.index} is ${i.status} on the node after every rollout ended`,
    );
}

export function checkNotificationsAccounted(
  r: RunRecord,
  received: readonly ReceivedNotification[],
  v: Violations,
): void {
  const seen = received.filter((n) => n.runId === r.runId);
  const report = (r.result as DictionaryRolloutResult | undefined)?.notifications;
  if (
    !v.check(
      'no notification lost without being reported',
      report !== undefined,
      () => `${where(r)}: notifications configured but the run reports none (${seen.length} received)`,
    )
  )
    return;
  const delivered = new Set(
    seen.filter((n) => typeof n.answer === 'number' && n.answer >= 200 && n.answer < 300).map((n) => n.seq),
  );
  const failed = new Set(report!.failed.map((f) => f.seq));
  const made = report!.sent + report!.failed.length;
  const seqs = new Set([...Array.from({ length: made }, (_, i) => i + 1), ...seen.map((n) => n.seq)]);
  for (const seq of seqs)
    v.check(
      'no notification lost without being reported',
      delivered.has(seq) || failed.has(seq),
      () =>
        `${where(r)}: notification ${seq} (${seen.find((n) => n.seq === seq)?.event ?? 'never received'}) was neither received (answers ${JSON.stringify(seen.filter((n) => n.seq === seq).map((n) => n.answer))}) nor reported failed (sent ${report!.sent}, failed ${JSON.stringify(report!.failed)})`,
    );
}

export function checkGateOutcome(
  r: RunRecord,
  before: EmulatorStateSnapshot,
  after: EmulatorStateSnapshot,
  v: Violations,
): void {
  const result = r.result as DictionaryRolloutResult | undefined;
  const plan = r.gates;
  if (!result || !plan) return;
  const gate = result.gateFailures?.[0];
  if (plan.fire === 'webhook')
    v.check(
      'a planned gate failure fails the gate',
      result.gateFailures?.some((g) => g.gate === 'webhook') === true,
      () =>
        `${where(r)}: the webhook answered 500 every time, yet no gate failed (outcome ${result.outcome})`,
    );
  if (gate?.wave === -1)
    // Before wave 1 (an alarm already firing): whatever the policy, nothing may have started.
    v.check(
      'a failed gate leads to what its policy says',
      result.outcome === 'failed' && result.domains.every((d) => d.state === 'not-started'),
      () => `${where(r)}: gate ${gate.gate} failed before wave 1, but the run ended ${result.outcome}`,
    );
  else if (gate) {
    if (plan.failurePolicy === 'rollback')
      v.check(
        'a failed gate leads to what its policy says',
        result.outcome === 'rolled-back' && !result.domains.some((d) => d.state === 'current'),
        () =>
          `${where(r)}: gate ${gate.gate} failed after wave ${gate.wave + 1} under rollback, but the run ended ${result.outcome} with ${result.domains.map((d) => `${d.domain} ${d.state}`).join(', ')}`,
      );
    else if (plan.failurePolicy === 'halt')
      v.check(
        'a failed gate leads to what its policy says',
        (result.outcome === 'failed' || result.outcome === 'partial') &&
          result.domains.every(
            (d) => d.wave <= gate.wave || d.state === 'not-started' || d.state === 'skipped',
          ),
        () =>
          `${where(r)}: gate ${gate.gate} failed after wave ${gate.wave + 1} under halt, but the run ended ${result.outcome} with ${result.domains.map((d) => `${d.domain} (wave ${d.wave + 1}) ${d.state}`).join(', ')}`,
      );
  }
  for (const d of result.domains) {
    const now = association(after, d.domain, result.packageId);
    const was = association(before, d.domain, result.packageId);
    let ok: boolean;
    let expected: string;
    if (d.state === 'failed' || d.state === 'rollback-failed') {
      ok = Boolean(d.error?.type && d.error.message);
      expected = 'a reason for its failure';
    } else if (d.state === 'current' || d.state === 'skipped') {
      ok = now?.status === 'ACTIVE' && now.packageVersion === result.targetVersion;
      expected = `ACTIVE at ${result.targetVersion}`;
    } else if (d.state === 'rolled-back') {
      ok =
        d.previousVersion === undefined
          ? now === undefined
          : now?.status === 'ACTIVE' && now.packageVersion === result.targetVersion;
      expected =
        d.previousVersion === undefined ? 'no association' : `ACTIVE at ${result.targetVersion} (restored)`;
    } else if (d.state === 'not-started') {
      ok = now?.packageVersion === was?.packageVersion && now?.status === was?.status;
      expected = `as before the run (${was ? `${was.status} at ${was.packageVersion}` : 'no association'})`;
    } else {
      ok = false;
      expected = 'a final state';
    }
    v.check(
      'no domain is left between versions unexplained',
      ok,
      () =>
        `${where(r)}: ${d.domain} is ${d.state} in the result, expected ${expected}, AWS has ${now ? `${now.status} at ${now.packageVersion}` : 'no association'}`,
    );
  }
}

/** Gated runs: the policy after a failed gate, every domain explained, every notification accounted. */
export function checkGatedRun(
  r: RunRecord,
  before: EmulatorStateSnapshot,
  after: EmulatorStateSnapshot,
  received: readonly ReceivedNotification[],
  v: Violations,
): void {
  checkGateOutcome(r, before, after, v);
  checkNotificationsAccounted(r, received, v);
}

const THROTTLING = /Throttl|Rate exceeded|SlowDown|TooManyRequests/i;

export function checkNoThrottlingFailure(records: readonly RunRecord[], v: Violations): void {
  for (const r of records) {
    v.check(
      'under the budget, no domain fails by throttling',
      !THROTTLING.test(`${r.failure?.type ?? ''} ${r.failure?.message ?? ''}`) ||
        // A run that failed because domains failed says so; the domains are checked below.
        Boolean((r.result as { domains?: unknown } | undefined)?.domains),
      () => `${where(r)}: ended ${r.failure?.type}: ${r.failure?.message}`,
    );
    const domains = (
      r.result as { domains?: Array<{ domain: string; error?: { type?: string; message?: string } }> }
    )?.domains;
    for (const d of domains ?? [])
      v.check(
        'under the budget, no domain fails by throttling',
        !THROTTLING.test(`${d.error?.type ?? ''} ${d.error?.message ?? ''}`),
        () => `${where(r)}: ${d.domain} failed by throttling: ${d.error?.type}: ${d.error?.message}`,
      );
  }
}

export function checkPluginRun(r: RunRecord, after: EmulatorStateSnapshot, v: Violations): void {
  const result = r.result as PluginRolloutResult | undefined;
  if (
    !v.check(
      'a rollout that ran has a result',
      result !== undefined,
      () => `${where(r)}: ended ${r.status} ${r.failure?.type}: ${r.failure?.message}`,
    )
  )
    return;
  const plugin = result!.packages.find((p) => p.role === 'plugin');
  if (r.expectChange && r.pluginAction === 'install')
    v.check(
      'one version per distinct content',
      plugin?.change === r.expectChange,
      () => `${where(r)}: expected the plugin ${r.expectChange}, the result says ${plugin?.change}`,
    );
  const named = new Set(result!.domains.map((d) => d.domain));
  for (const domain of r.domains)
    v.check(
      'plugin rollouts end with every domain at the planned package or reported',
      named.has(domain),
      () => `${where(r)}: ${domain} is not in the result`,
    );
  for (const d of result!.domains) {
    const row = plugin?.packageId ? association(after, d.domain, plugin.packageId) : undefined;
    const busy = after.opensearch.domains.find((x) => x.name === d.domain)?.processing;
    let ok: boolean;
    let expected: string;
    if (d.state === 'failed') {
      ok = Boolean(d.error?.type && d.error.message) && r.failingDomains.includes(d.domain);
      expected = 'not failed (no domain of a plugin chain is set up to fail)';
    } else if (r.pluginAction === 'remove') {
      ok = (d.state === 'removed' || d.state === 'skipped') && row === undefined && !busy;
      expected = 'removed, no association, no deployment running';
    } else {
      ok =
        (d.state === 'current' || d.state === 'skipped') &&
        row?.status === 'ACTIVE' &&
        row.packageVersion === plugin?.version &&
        !busy;
      expected = `current, ACTIVE at ${plugin?.version}, no deployment running`;
    }
    v.check(
      'plugin rollouts end with every domain at the planned package or reported',
      ok,
      () =>
        `${where(r)}: ${d.domain} is ${d.state}${d.error ? ` (${d.error.type}: ${d.error.message})` : ''}, expected ${expected}; AWS has ${row ? `${row.status} at ${row.packageVersion}` : 'no association'}${busy ? ', deployment running' : ''}`,
    );
  }
}
