/** Worker kills: which worker a kill point picks, and what it was running. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import type { Dice } from './dice.js';
import type { WorkerFleet } from './fleet.js';
import { started } from './log.js';
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
}

export interface PendingActivityRaw {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  state?: number | null;
  attempt?: number | null;
  lastWorkerIdentity?: string | null;
}

/**
 * Picks the worker to kill. Mostly one that is running an activity right now (Temporal's pending
 * activity says which worker identity started it), looked for for up to ~4 s; otherwise any ready
 * worker. Some kill points look for a worker that is staging a dictionary first (the staging of a
 * URL source runs for seconds): the one activity that used to stall a rollout for minutes.
 */
export async function chooseVictim(
  fleet: WorkerFleet,
  open: Map<string, WorkflowHandle>,
  dice: Dice,
): Promise<KillPoint | undefined> {
  const wantMidActivity = dice.chance(0.85);
  const wantStaging = dice.chance(0.4);
  const deadline = Date.now() + 4000;
  while (wantMidActivity && Date.now() < deadline) {
    const ready = fleet.readyWorkers();
    if (ready.length === 0) return undefined;
    const busy = new Map<string, KilledActivity[]>();
    const descriptions = await Promise.all(
      [...open.values()].map((h) =>
        h.describe().then(
          (d) => ({ d, h }),
          () => undefined,
        ),
      ),
    );
    for (const x of descriptions) {
      for (const p of (x?.d.raw.pendingActivities ?? []) as PendingActivityRaw[]) {
        // PENDING_ACTIVITY_STATE_STARTED = 2: a worker is running it right now.
        if (p.state !== 2 || !p.lastWorkerIdentity || !p.activityId) continue;
        const list = busy.get(p.lastWorkerIdentity) ?? [];
        list.push({
          workflowId: x!.h.workflowId,
          activity: p.activityType?.name ?? '?',
          activityId: p.activityId,
          attempt: p.attempt ?? 1,
        });
        busy.set(p.lastWorkerIdentity, list);
      }
    }
    const staging = ready.filter((w) => busy.get(w.identity)?.some((a) => a.activity === 'stageDictionary'));
    const candidates = wantStaging ? staging : ready.filter((w) => busy.has(w.identity));
    // Looking for staging: keep looking until the deadline, then take any busy worker.
    if (candidates.length > 0 || (wantStaging && Date.now() + 100 >= deadline)) {
      const pool = candidates.length > 0 ? candidates : ready.filter((w) => busy.has(w.identity));
      if (pool.length > 0) {
        const w = dice.pick(pool);
        const killed = busy.get(w.identity)!;
        const shown = killed.find((a) => a.activity === 'stageDictionary') ?? killed[0]!;
        return {
          at: Date.now() - started,
          worker: w.name,
          pid: w.pid,
          mode: 'mid-activity',
          othersReady: ready.length - 1,
          activity: shown.activity,
          workflowId: shown.workflowId,
          killed,
        };
      }
    }
    await sleep(50);
  }
  const ready = fleet.readyWorkers();
  if (ready.length === 0) return undefined;
  const w = dice.pick(ready);
  return {
    at: Date.now() - started,
    worker: w.name,
    pid: w.pid,
    mode: 'random point',
    othersReady: ready.length - 1,
  };
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
