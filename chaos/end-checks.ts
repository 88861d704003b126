/**
 * After every rollout ended: the checks of the new paths that look at the whole run (the node's
 * indexes, what the verified chains' indexes analyze now, throttling failures under the budget),
 * and the figures the summary prints for them.
 */
import type { CallRecord } from '../src/emulator/types.js';
import type { DictionaryRolloutResult } from '../src/model/dictionary-rollout.js';
import type { PluginRolloutResult } from '../src/model/plugin-rollout.js';
import type { RunRecord } from './invariants.js';
import { checkNoIndexClosed, checkNoThrottlingFailure } from './invariants-new-paths.js';
import { isFleetRun, phasesOf, type KillPoint } from './kills.js';
import { analyze, chainIndexes, indexStates, type ChaosNode } from './node.js';
import { ACCOUNT, type Plan } from './plan.js';
import { FLEET_WORKFLOW_PREFIX } from './plan-fleet.js';
import type { Receiver } from './receiver.js';
import type { Violations } from './violations.js';

/** The worker's own Region (plain names); fleet chains reach others. */
const DEFAULT_REGION = 'us-east-1';

export async function checkNewPathsAtEnd(x: {
  plan: Plan;
  records: RunRecord[];
  node: ChaosNode | undefined;
  violations: Violations;
}): Promise<void> {
  const v = x.violations;
  checkNoThrottlingFailure(x.records, v);
  if (!x.node) return;
  checkNoIndexClosed(await indexStates(x.node.node), v);
  // Each verified chain's indexes analyze `car` as the last content that reached every domain says.
  for (const chain of x.plan.chains.filter((c) => c.kind === 'verified')) {
    const last = x.records.filter((r) => r.chain === chain.id && r.verifyToken).at(-1);
    const result = last?.result as DictionaryRolloutResult | undefined;
    if (!last || result?.outcome !== 'succeeded') continue;
    const { search, index } = chainIndexes(chain.id);
    for (const name of [search, index]) {
      const tokens = await analyze(x.node.node, name, 'car').catch((e: Error) => [`(${e.message})`]);
      v.check(
        'a verified domain passed its probes',
        tokens.length === 1 && tokens[0] === last.verifyToken,
        () =>
          `${chain.id}: ${name} analyzes car as ${JSON.stringify(tokens)} after the last rollout, expected [${last.verifyToken}]`,
      );
    }
  }
}

/** Counts of the new paths for the summary. */
export function newPathFigures(x: {
  records: RunRecord[];
  kills: KillPoint[];
  receiver: Receiver;
  alarmsFired: Array<{ fired: boolean }>;
  chaosCalls: CallRecord[];
  callsPerSecond: number;
  phaseKills: number;
}) {
  const dict = (r: RunRecord) => r.result as DictionaryRolloutResult | undefined;
  const verified = x.records.filter((r) => r.verifyToken);
  const gated = x.records.filter((r) => r.gates);
  const plugins = x.records.filter((r) => r.kind === 'pluginRollout');
  const sum = (rs: RunRecord[], f: (r: DictionaryRolloutResult) => number) =>
    rs.reduce((n, r) => n + (dict(r) ? f(dict(r)!) : 0), 0);
  const killsByPhase: Record<string, number> = {
    staging: 0,
    refresh: 0,
    probes: 0,
    bake: 0,
    'blue-green': 0,
    fleet: 0,
  };
  for (const k of x.kills) for (const p of phasesOf(k)) killsByPhase[p] = (killsByPhase[p] ?? 0) + 1;
  const gateFailures = gated.flatMap((r) => dict(r)?.gateFailures ?? []);
  const rateLimited = x.chaosCalls.filter((c) => c.rateLimited).length;
  const seconds =
    x.chaosCalls.length > 1
      ? (Date.parse(x.chaosCalls.at(-1)!.realAt) - Date.parse(x.chaosCalls[0]!.realAt)) / 1000
      : 0;
  // Fleet runs: their places, and the kills that landed in one (by the activity they interrupted).
  const fleetRuns = x.records.filter((r) => r.workflowId.startsWith(FLEET_WORKFLOW_PREFIX));
  const fleetPlaces = new Set(fleetRuns.flatMap((r) => (dict(r)?.places ?? []).map((p) => p.place.key)));
  const fleetKills = x.kills.filter((k) => (k.killed ?? []).some((a) => isFleetRun(a.workflowId)));
  const fleetKillsByActivity: Record<string, number> = {};
  for (const k of fleetKills)
    for (const a of new Set((k.killed ?? []).filter((a) => isFleetRun(a.workflowId)).map((a) => a.activity)))
      fleetKillsByActivity[a] = (fleetKillsByActivity[a] ?? 0) + 1;
  const otherPlaceCalls = x.chaosCalls.filter((c) => c.region !== DEFAULT_REGION || c.account !== ACCOUNT);
  return {
    killsByPhase,
    fleet: {
      runs: fleetRuns.length,
      places: fleetPlaces.size,
      domainsCurrent: fleetRuns.reduce(
        (n, r) => n + (dict(r)?.domains.filter((d) => d.state === 'current').length ?? 0),
        0,
      ),
      domainsFailed: fleetRuns.reduce((n, r) => n + (dict(r)?.counts.failed ?? 0), 0),
      killsInFleetRuns: fleetKills.length,
      killsByActivity: fleetKillsByActivity,
      callsAtOtherPlaces: otherPlaceCalls.length,
      faultsAtOtherPlaces: otherPlaceCalls.filter((c) => c.fault).length,
    },
    phaseKills: x.phaseKills,
    verified: {
      runs: verified.length,
      domainsVerified: sum(verified, (r) => r.verification?.verified ?? 0),
      indexesRefreshed: sum(verified, (r) =>
        r.domains.reduce((n, d) => n + (d.verification?.indexesRefreshed.length ?? 0), 0),
      ),
      indexesReopened: sum(verified, (r) =>
        r.domains.reduce((n, d) => n + (d.verification?.indexesReopened.length ?? 0), 0),
      ),
      probesPassed: sum(verified, (r) => r.verification?.probesPassed ?? 0),
      probesFailed: sum(verified, (r) => r.verification?.probesFailed ?? 0),
    },
    gates: {
      runs: gated.length,
      alarmsFiredMidBake: x.alarmsFired.filter((a) => a.fired).length,
      alarmGateFailures: gateFailures.filter((g) => g.gate === 'alarm').length,
      webhookGateFailures: gateFailures.filter((g) => g.gate === 'webhook').length,
      rolledBack: gated.filter((r) => dict(r)?.outcome === 'rolled-back').length,
      halted: gated.filter(
        (r) => r.gates?.failurePolicy === 'halt' && (dict(r)?.gateFailures?.length ?? 0) > 0,
      ).length,
      webhookCalls: [...x.receiver.gateCalls.values()].reduce((n, a) => n + a.length, 0),
      webhookAnswersFailedOrHung: [...x.receiver.gateCalls.values()].flat().filter((a) => a !== 200).length,
    },
    notifications: {
      made: sum(gated, (r) => (r.notifications ? r.notifications.sent + r.notifications.failed.length : 0)),
      delivered: sum(gated, (r) => r.notifications?.sent ?? 0),
      reportedFailed: sum(gated, (r) => r.notifications?.failed.length ?? 0),
      requests: x.receiver.notifications.length,
      answered500: x.receiver.notifications.filter((n) => n.answer === 500).length,
      hung: x.receiver.notifications.filter((n) => n.answer === 'hang').length,
    },
    budget: {
      callsPerSecond: x.callsPerSecond,
      awsCalls: x.chaosCalls.length,
      averagePerSecond: seconds > 0 ? Math.round((x.chaosCalls.length / seconds) * 10) / 10 : 0,
      refusedByRateLimit: rateLimited,
    },
    plugins: {
      runs: plugins.length,
      domainsDone: plugins.reduce(
        (n, r) => n + ((r.result as PluginRolloutResult | undefined)?.counts.done ?? 0),
        0,
      ),
      domainsFailed: plugins.reduce(
        (n, r) => n + ((r.result as PluginRolloutResult | undefined)?.counts.failed ?? 0),
        0,
      ),
    },
  };
}
