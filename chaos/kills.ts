/** Worker kills: which worker a kill point picks, and what it was running. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Dice } from './dice.js';
import type { WorkerFleet } from './fleet.js';
import { started } from './log.js';
import { FLEET_WORKFLOW_PREFIX } from './plan-fleet.js';
import { sleep } from './reachability.js';
import type { KilledActivity } from './stalls.js';

export interface KillPoint {
  at: number;
  worker: string;
  pid: number;
  mode: 'mid-activity' | 'random point';
  /** Other workers polling the task queue at the time of the kill. */
  othersReady: number;
  activity?: string;
  workflowId?: string;
  /** The activities the kill interrupted (mid-activity kills): their stalls are measured. */
  killed?: KilledActivity[];
  /** What the kill point looked for. */
  target?: KillTarget;
  /** Open runs baking (a pending alarm watch) when the kill landed. */
  baking?: number;
}

export interface PendingActivityRaw {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  state?: number | null;
  attempt?: number | null;
  lastWorkerIdentity?: string | null;
}

/** What a kill point looks for (drawn from the run's dice), and the activities of each phase. */
export type KillTarget = 'staging' | 'refresh' | 'probes' | 'bake' | 'blue-green' | 'fleet' | 'any';
const TARGETS: Array<[KillTarget, number]> = [
  ['staging', 0.27],
  ['refresh', 0.1],
  ['probes', 0.08],
  ['bake', 0.13],
  ['blue-green', 0.1],
  ['fleet', 0.14],
  ['any', 0.18],
];
/** A fleet chain's run (any of its activities: staging, copies to places, packages, associations). */
export const isFleetRun = (workflowId: string) => workflowId.startsWith(FLEET_WORKFLOW_PREFIX);
export const PHASE_ACTIVITIES: Record<Exclude<KillTarget, 'any' | 'bake' | 'fleet'>, string[]> = {
  staging: ['stageDictionary'],
  refresh: ['findIndexesUsingFile', 'refreshSearchAnalyzers', 'closeIndex', 'openIndex'],
  probes: ['analyzeProbe', 'clusterHealth'],
  'blue-green': ['associatePluginBundle', 'dissociatePluginBundle', 'waitForDeployments'],
};
const DATA_PLANE = new Set([...PHASE_ACTIVITIES.refresh, ...PHASE_ACTIVITIES.probes]);

/** The phases a kill landed in: by the activities it interrupted, and 'bake' when a run was baking. */
export function phasesOf(kill: Pick<KillPoint, 'killed' | 'baking'>): string[] {
  const names = new Set((kill.killed ?? []).map((a) => a.activity));
  const phases = (Object.entries(PHASE_ACTIVITIES) as Array<[string, string[]]>)
    .filter(([, acts]) => acts.some((a) => names.has(a)))
    .map(([phase]) => phase);
  if ((kill.baking ?? 0) > 0) phases.push('bake');
  if ((kill.killed ?? []).some((a) => isFleetRun(a.workflowId))) phases.push('fleet');
  return phases;
}

function drawTarget(dice: Dice): KillTarget {
  let x = dice.next();
  for (const [target, p] of TARGETS) if ((x -= p) < 0) return target;
  return 'any';
}

/**
 * Picks the worker to kill. Mostly one that is running an activity right now (Temporal's pending
 * activity says which worker identity started it), looked for for up to ~4 s; otherwise any ready
 * worker. Each kill point draws what it looks for first: a worker staging a dictionary (the staging
 * of a URL source runs for seconds), refreshing analyzers or closing/opening an index, running a
 * probe, the worker that reads a baking run's alarms, a worker following a plugin's blue/green
 * deployment, a worker running any activity of a fleet run (staging, copies to places, packages,
 * associations in any place), or any busy worker. A kill in a data-plane activity stalls that
 * verification for the activity's 2-minute start-to-close timeout, so at most `maxDataPlaneKills`
 * of them are taken.
 */
export async function chooseVictim(
  fleet: WorkerFleet,
  open: Map<string, WorkflowHandle>,
  dice: Dice,
  maxDataPlaneKills: number,
  dataPlaneKillsSoFar: number,
  /** A phase kill point: only a worker in this phase, or no kill at all. */
  only?: Exclude<KillTarget, 'any'>,
): Promise<KillPoint | undefined> {
  const wantMidActivity = dice.chance(0.85) || only !== undefined;
  let target = only ?? drawTarget(dice);
  if ((target === 'refresh' || target === 'probes') && dataPlaneKillsSoFar >= maxDataPlaneKills) {
    if (only) return undefined; // a phase kill point for a data-plane phase with no room left: none
    target = 'any';
  }
  const deadline = Date.now() + (target === 'any' ? 4000 : 6000);
  let baking = 0;
  while (Date.now() < deadline) {
    const ready = fleet.readyWorkers();
    if (ready.length === 0) return undefined;
    const busy = new Map<string, KilledActivity[]>();
    const bakers = new Set<string>();
    const descriptions = await Promise.all(
      [...open.values()].map((h) =>
        h.describe().then(
          (d) => ({ d, h }),
          () => undefined,
        ),
      ),
    );
    baking = 0;
    for (const x of descriptions) {
      for (const p of (x?.d.raw.pendingActivities ?? []) as PendingActivityRaw[]) {
        if (p.activityType?.name === 'watchAlarms') {
          baking++;
          if (p.lastWorkerIdentity) bakers.add(p.lastWorkerIdentity);
        }
        // PENDING_ACTIVITY_STATE_STARTED = 2: a worker is running it right now.
        if (p.state !== 2 || !p.lastWorkerIdentity || !p.activityId) continue;
        const list = busy.get(p.lastWorkerIdentity) ?? [];
        list.push({
          workflowId: x!.h.workflowId,
          runId: x!.d.runId,
          activity: p.activityType?.name ?? '?',
          activityId: p.activityId,
          attempt: p.attempt ?? 1,
        });
        busy.set(p.lastWorkerIdentity, list);
      }
    }
    if (!wantMidActivity) break;
    const wanted =
      target === 'any'
        ? ready.filter((w) => busy.has(w.identity))
        : target === 'bake'
          ? ready.filter((w) => bakers.has(w.identity))
          : target === 'fleet'
            ? ready.filter((w) => busy.get(w.identity)?.some((a) => isFleetRun(a.workflowId)))
            : ready.filter((w) =>
                busy.get(w.identity)?.some((a) => PHASE_ACTIVITIES[target as 'staging'].includes(a.activity)),
              );
    // Looking for a phase: keep looking until the deadline, then take any busy worker.
    if (only && wanted.length === 0) {
      await sleep(50);
      continue;
    }
    if (wanted.length > 0 || Date.now() + 100 >= deadline) {
      const pool = wanted.length > 0 ? wanted : ready.filter((w) => busy.has(w.identity));
      if (pool.length > 0) {
        const w = dice.pick(pool);
        let killed = busy.get(w.identity) ?? [];
        // Over the data-plane budget: a busy worker running a probe or refresh is not taken.
        if (dataPlaneKillsSoFar >= maxDataPlaneKills && killed.some((a) => DATA_PLANE.has(a.activity))) {
          await sleep(50);
          continue;
        }
        const phaseActivities =
          target === 'any' || target === 'bake' || target === 'fleet' ? [] : PHASE_ACTIVITIES[target];
        const shown =
          killed.find((a) =>
            target === 'fleet' ? isFleetRun(a.workflowId) : phaseActivities.includes(a.activity),
          ) ?? killed[0];
        if (killed.length === 0) killed = [];
        return {
          at: Date.now() - started,
          worker: w.name,
          pid: w.pid,
          mode: killed.length > 0 ? 'mid-activity' : 'random point',
          othersReady: ready.length - 1,
          target,
          baking,
          ...(shown ? { activity: shown.activity, workflowId: shown.workflowId } : {}),
          ...(killed.length > 0 ? { killed } : {}),
        };
      }
    }
    await sleep(50);
  }
  if (only) return undefined;
  const ready = fleet.readyWorkers();
  if (ready.length === 0) return undefined;
  const w = dice.pick(ready);
  return {
    at: Date.now() - started,
    worker: w.name,
    pid: w.pid,
    mode: 'random point',
    othersReady: ready.length - 1,
    target,
    baking,
  };
}

/** Whether a kill interrupted a data-plane request (refresh, close/open, probe, health). */
export function killedDataPlane(kill: KillPoint): boolean {
  return (kill.killed ?? []).some((a) => DATA_PLANE.has(a.activity));
}

export async function pendingSummary(client: Client, workflowId: string): Promise<string> {
  const d = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  const pending = (d?.raw.pendingActivities ?? []) as Array<
    PendingActivityRaw & { attempt?: number | null; lastFailure?: { message?: string | null } | null }
  >;
  return (
    pending
      .map(
        (p) =>
          `${p.activityType?.name} attempt ${p.attempt} state ${p.state} ${p.lastFailure?.message ?? ''}`,
      )
      .join('; ') || 'no pending activity'
  );
}
