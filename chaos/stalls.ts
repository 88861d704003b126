/**
 * How long a worker kill stalled the activity it interrupted. `ms`: from the SIGKILL until Temporal
 * gave up on the dead attempt and scheduled the next (the pending attempt number went up) or the
 * activity is no longer pending; that is what the activity's timeouts bound: its heartbeat timeout
 * when it has one, else its start-to-close timeout (read from the run's history), and the target is
 * under twice that. `runningMs`: until a later attempt is running on a worker again, which adds the
 * retry backoff and, when every worker was killed, the time a worker takes to start (reported, not
 * bounded). Stalls that overlap a dev server outage are reported apart: the outage sets their length.
 */
import type { Client } from '@temporalio/client';
import { sleep } from './reachability.js';

export interface KilledActivity {
  workflowId: string;
  /**
   * The run the killed activity belongs to: a chain starts its next rollout under the same
   * workflow id, and that later run's activity ids are its own (without it, a stall could be read
   * against the wrong run and find no timeout there).
   */
  runId?: string;
  activity: string;
  activityId: string;
  attempt: number;
}

export interface Stall extends KilledActivity {
  killedAt: number;
  /** Kill to the next attempt scheduled (or done); undefined when neither happened before the run ended. */
  ms?: number;
  /** Kill to a later attempt running on a worker (or done). */
  runningMs?: number;
  /** Heartbeat timeout, else start-to-close timeout, in ms. */
  timeoutMs?: number;
  acrossServerOutage: boolean;
}

interface PendingRaw {
  activityId?: string | null;
  attempt?: number | null;
  state?: number | null;
}

const STARTED = 2;

export class StallWatch {
  readonly stalls: Stall[] = [];
  private readonly watches: Array<Promise<void>> = [];
  private readonly outages: Array<{ from: number; to?: number }> = [];
  private stopped = false;

  constructor(private readonly client: Client) {}

  outageBegins(): void {
    this.outages.push({ from: Date.now() });
  }
  outageEnds(): void {
    const last = this.outages[this.outages.length - 1];
    if (last && last.to === undefined) last.to = Date.now();
  }

  watch(killed: KilledActivity, killedAt: number): void {
    const stall: Stall = { ...killed, killedAt, acrossServerOutage: false };
    this.stalls.push(stall);
    this.watches.push(this.follow(stall));
  }

  /** After the drain: lets the watches notice the runs ended (a few seconds), then stops the rest. */
  async settle(): Promise<void> {
    await Promise.race([Promise.all(this.watches), sleep(10_000)]);
    this.stopped = true;
    await Promise.all(this.watches);
  }

  private async follow(stall: Stall): Promise<void> {
    const handle = this.client.workflow.getHandle(stall.workflowId, stall.runId);
    while (!this.stopped) {
      const d = await handle.describe().catch(() => undefined);
      if (d) {
        const pending = ((d.raw.pendingActivities ?? []) as PendingRaw[]).find(
          (p) => p.activityId === stall.activityId,
        );
        const done = d.status.name !== 'RUNNING' || !pending;
        const retried = done || (pending.attempt ?? 0) > stall.attempt;
        if (retried && stall.ms === undefined) stall.ms = Date.now() - stall.killedAt;
        if (done || (retried && pending.state === STARTED)) {
          stall.runningMs = Date.now() - stall.killedAt;
          break;
        }
      }
      await sleep(200);
    }
    const end = stall.ms === undefined ? Date.now() : stall.killedAt + stall.ms;
    stall.acrossServerOutage = this.outages.some((o) => o.from < end && (o.to ?? Infinity) > stall.killedAt);
    stall.timeoutMs = await this.timeoutOf(stall).catch(() => undefined);
  }

  private async timeoutOf(stall: Stall): Promise<number | undefined> {
    const history = await this.client.workflow.getHandle(stall.workflowId, stall.runId).fetchHistory();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (!s || s.activityId !== stall.activityId) continue;
      const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
        t ? Number(t.seconds ?? 0) * 1000 + Math.round((t.nanos ?? 0) / 1e6) : 0;
      return ms(s.heartbeatTimeout) || ms(s.startToCloseTimeout) || undefined;
    }
    return undefined;
  }
}

/** Longest stall per activity type, with its bound; outage-overlapping stalls apart. */
export function longestStalls(stalls: Stall[]) {
  const by: Record<
    string,
    { kills: number; longestMs: number; longestRunningMs: number; timeoutMs?: number; overOutage: number }
  > = {};
  for (const s of stalls) {
    const row = (by[s.activity] ??= { kills: 0, longestMs: 0, longestRunningMs: 0, overOutage: 0 });
    row.kills++;
    if (s.timeoutMs !== undefined) row.timeoutMs = s.timeoutMs;
    if (s.acrossServerOutage) row.overOutage++;
    else {
      if (s.ms !== undefined) row.longestMs = Math.max(row.longestMs, s.ms);
      if (s.runningMs !== undefined) row.longestRunningMs = Math.max(row.longestRunningMs, s.runningMs);
    }
  }
  return by;
}
