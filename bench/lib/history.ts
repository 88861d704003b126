import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const { temporal } = proto;

export interface HistoryFigures {
  events: number;
  /** The history as Temporal stores and sends it: protobuf-encoded `temporal.api.history.v1.History`. */
  bytes: number;
  /**
   * Per activity type: activities scheduled, attempts made (retries of a polling activity included)
   * and the largest retry `maximumAttempts` recorded when scheduled (0 = unlimited).
   */
  activities: Record<string, { scheduled: number; attempts: number; maximumAttempts: number }>;
  /** Events by type, e.g. ActivityTaskScheduled: 12. */
  eventTypes: Record<string, number>;
}

const EventType = temporal.api.enums.v1.EventType;

export async function historyFigures(client: Client, workflowId: string): Promise<HistoryFigures> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  const typeOf = new Map<string, string>();
  const activities: HistoryFigures['activities'] = {};
  const eventTypes: Record<string, number> = {};
  for (const e of events) {
    const name = (EventType[e.eventType ?? 0] ?? 'UNKNOWN').replace(/^EVENT_TYPE_/, '');
    const pretty = name
      .toLowerCase()
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
    eventTypes[pretty] = (eventTypes[pretty] ?? 0) + 1;
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const type = scheduled.activityType?.name ?? '?';
      typeOf.set(String(e.eventId), type);
      const a = (activities[type] ??= { scheduled: 0, attempts: 0, maximumAttempts: 0 });
      a.scheduled++;
      a.maximumAttempts = Math.max(a.maximumAttempts, scheduled.retryPolicy?.maximumAttempts ?? 0);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const type = typeOf.get(String(started.scheduledEventId)) ?? '?';
      (activities[type] ??= { scheduled: 0, attempts: 0, maximumAttempts: 0 }).attempts +=
        started.attempt ?? 1;
    }
  }
  return { events: events.length, bytes, activities, eventTypes };
}
