/** The summary of a run: figures for summary.json and the printed lines. */
import type { CallRecord } from '../src/emulator/types.js';
import type { ScanReport } from '../harness/history-secrets.js';
import type { WorkerFleet } from './fleet.js';
import type { HostileReport } from './hostile.js';
import type { RunRecord } from './invariants.js';
import type { KillPoint } from './kills.js';
import type { ChaosOptions } from './options.js';
import { longestStalls, type Stall } from './stalls.js';
import type { Violations } from './violations.js';
import type { newPathFigures } from './end-checks.js';

export interface SummaryInput {
  options: ChaosOptions;
  records: RunRecord[];
  kills: KillPoint[];
  stalls: Stall[];
  serverRestarts: Array<{ at: number; openRollouts: number; signal: 'SIGKILL' | 'SIGTERM' }>;
  fleet: WorkerFleet;
  chaosCalls: CallRecord[];
  hostile: HostileReport;
  scan: ScanReport;
  violations: Violations;
  seconds: number;
  newPaths: ReturnType<typeof newPathFigures>;
}

export function makeSummary(s: SummaryInput) {
  const byKind: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const r of s.records) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    const outcome =
      (r.result as { outcome?: string; status?: string } | undefined)?.outcome ??
      (r.result as { status?: string } | undefined)?.status ??
      r.failure?.type ??
      r.status ??
      '?';
    outcomes[`${r.kind}:${outcome}`] = (outcomes[`${r.kind}:${outcome}`] ?? 0) + 1;
  }
  const faults: Record<string, number> = {};
  for (const c of s.chaosCalls) if (c.fault) faults[c.fault] = (faults[c.fault] ?? 0) + 1;
  return {
    seed: s.options.seed,
    size: s.options.size,
    seconds: Math.round(s.seconds),
    rollouts: { total: s.records.length, byKind, outcomes },
    killPoints: {
      total: s.kills.length,
      midActivity: s.kills.filter((k) => k.mode === 'mid-activity').length,
      midActivityWithSecondWorker: s.kills.filter((k) => k.mode === 'mid-activity' && k.othersReady > 0)
        .length,
      activities: [...new Set(s.kills.map((k) => k.activity).filter(Boolean))],
      duringStaging: s.kills.filter((k) => k.killed?.some((a) => a.activity === 'stageDictionary')).length,
    },
    longestStallByActivity: longestStalls(s.stalls),
    stalls: s.stalls,
    workerStarts: s.fleet.starts,
    unexpectedWorkerExits: {
      atStart: s.fleet.unexpectedExits.filter((x) => x.atStart).length,
      whileRunning: s.fleet.unexpectedExits.filter((x) => !x.atStart).length,
    },
    serverRestarts: s.serverRestarts,
    faultsInjected: {
      total: Object.values(faults).reduce((a, b) => a + b, 0),
      byKind: faults,
      awsCalls: s.chaosCalls.length,
    },
    inputsTried: { total: s.hostile.tried, distinct: s.hostile.distinct, byWay: s.hostile.byWay },
    historiesScanned: {
      histories: s.scan.histories,
      events: s.scan.events,
      payloads: s.scan.payloads,
      findings: s.scan.findings.length,
    },
    invariantsChecked: {
      checks: s.violations.checks,
      invariants: Object.fromEntries(s.violations.byInvariant),
    },
    ...s.newPaths,
    violations: s.violations.list,
    killLog: s.kills,
  };
}

export const FAULT_LABELS: Array<[string, string]> = [
  ['throttle', 'throttled'],
  ['internal', '500s'],
  ['lost-response', 'lost responses'],
  ['latency', 'added latency only'],
  ['reset-before', 'resets before applying'],
  ['reset-after', 'resets after applying'],
  ['hang', 'hung connections'],
];

export function printSummary(summary: ReturnType<typeof makeSummary>, violations: Violations) {
  const lines = [
    '',
    `chaos summary (seed ${summary.seed}, ${summary.size}, ${summary.seconds} s)`,
    `  rollouts run:        ${summary.rollouts.total} (${Object.entries(summary.rollouts.byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  outcomes:            ${Object.entries(summary.rollouts.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  kill points:         ${summary.killPoints.total} worker SIGKILLs (${summary.killPoints.midActivity} mid-activity, ${summary.killPoints.midActivityWithSecondWorker} of them with the second worker polling; in ${summary.killPoints.activities.join(', ')}), ${summary.workerStarts} worker starts; exits not caused by the suite: ${summary.unexpectedWorkerExits.atStart} at start while the server was down, ${summary.unexpectedWorkerExits.whileRunning} while running`,
    `  kills in staging:    ${summary.killPoints.duringStaging} (a worker SIGKILLed while it ran stageDictionary)`,
    `  kills by phase:      staging ${summary.killsByPhase.staging}, analyzer refresh and close/open ${summary.killsByPhase.refresh}, probes and cluster health ${summary.killsByPhase.probes}, during a bake ${summary.killsByPhase.bake}, blue/green deployment ${summary.killsByPhase['blue-green']}, in a fleet run ${summary.killsByPhase.fleet} (${summary.phaseKills} of the SIGKILLs were phase kill points during the drain)`,
    `  verified rollouts:   ${summary.verified.runs} (${summary.verified.domainsVerified} domains verified on the real node; ${summary.verified.indexesRefreshed} indexes refreshed, ${summary.verified.indexesReopened} closed and reopened; probes ${summary.verified.probesPassed} passed, ${summary.verified.probesFailed} failed)`,
    `  gated rollouts:      ${summary.gates.runs} (alarms fired mid-bake ${summary.gates.alarmsFiredMidBake}; gate failures: alarm ${summary.gates.alarmGateFailures}, webhook ${summary.gates.webhookGateFailures}; rolled back ${summary.gates.rolledBack}, halted ${summary.gates.halted}; webhook calls ${summary.gates.webhookCalls}, ${summary.gates.webhookAnswersFailedOrHung} answered 500 or hung)`,
    `  notifications:       ${summary.notifications.made} made (${summary.notifications.delivered} delivered, ${summary.notifications.reportedFailed} reported failed); receiver got ${summary.notifications.requests} requests, answered 500 to ${summary.notifications.answered500}, hung ${summary.notifications.hung}`,
    `  AWS call budget:     ${summary.budget.callsPerSecond}/s for the task queue under the emulator's rate limit; ${summary.budget.awsCalls} AWS calls (${summary.budget.averagePerSecond}/s on average), ${summary.budget.refusedByRateLimit} refused by the rate limit`,
    `  plugin rollouts:     ${summary.plugins.runs} (${summary.plugins.domainsDone} domains done through blue/green deployments, ${summary.plugins.domainsFailed} failed)`,
    `  fleet rollouts:      ${summary.fleet.runs} over ${summary.fleet.places} places (${summary.fleet.domainsCurrent} domains moved to current, ${summary.fleet.domainsFailed} failed); ${summary.fleet.killsInFleetRuns} kills landed in a fleet run (${
      Object.entries(summary.fleet.killsByActivity)
        .map(([a, n]) => `${a} ${n}`)
        .join(', ') || 'none'
    }); ${summary.fleet.callsAtOtherPlaces} AWS calls at other places, ${summary.fleet.faultsAtOtherPlaces} of them faulted`,
    `  longest stall:       kill -> retry scheduled, per activity (timeout: the activity's heartbeat or start-to-close timeout; a stall must stay under twice it): ${Object.entries(
      summary.longestStallByActivity,
    )
      .map(
        ([activity, r]) =>
          `${activity} ${r.overOutage === r.kills ? 'n/a' : `${(r.longestMs / 1000).toFixed(1)} s`} (timeout ${r.timeoutMs === undefined ? '?' : `${r.timeoutMs / 1000} s`}; running again ${r.overOutage === r.kills ? 'n/a' : `${(r.longestRunningMs / 1000).toFixed(1)} s`}; ${r.kills} kill${r.kills === 1 ? '' : 's'}${r.overOutage ? `, ${r.overOutage} across a server outage not counted` : ''})`,
      )
      .join('; ')}`,
    `  server SIGKILLs:     ${summary.serverRestarts.filter((r) => r.signal === 'SIGKILL').length} (killed and restarted on the same database file with ${
      summary.serverRestarts
        .filter((r) => r.signal === 'SIGKILL')
        .map((r) => r.openRollouts)
        .join(' and ') || 'no'
    } rollouts open)`,
    `  server restarts:     ${summary.serverRestarts.filter((r) => r.signal === 'SIGTERM').length} (stopped with SIGTERM and restarted with ${
      summary.serverRestarts
        .filter((r) => r.signal === 'SIGTERM')
        .map((r) => r.openRollouts)
        .join(' and ') || 'no'
    } rollouts open)`,
    `  faults injected:     ${summary.faultsInjected.total} on ${summary.faultsInjected.awsCalls} AWS calls (${FAULT_LABELS.map(
      ([kind, label]) => `${label} ${summary.faultsInjected.byKind[kind] ?? 0}`,
    ).join(', ')})`,
    `  inputs tried:        ${summary.inputsTried.total} (${summary.inputsTried.distinct} distinct; ${Object.entries(
      summary.inputsTried.byWay,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  histories scanned:   ${summary.historiesScanned.histories} (${summary.historiesScanned.events} events, ${summary.historiesScanned.payloads} payloads decrypted and scanned), ${summary.historiesScanned.findings} secrets found`,
    `  invariants checked:  ${summary.invariantsChecked.checks} checks of ${Object.keys(summary.invariantsChecked.invariants).length} invariants`,
    `  violations:          ${violations.list.length}`,
    ...violations.list.slice(0, 40).map((x) => `    - [${x.invariant}] ${x.detail}`),
    `  replay:              npm run chaos -- --seed ${summary.seed}${summary.size === 'quick' ? ' --quick' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
