/**
 * Notifications (issue 17) for any workflow type: webhook events with a JSON body
 * (schemas/notification.schema.json) and a Slack-compatible `text`. Each event is one activity,
 * retried a few times; they are chained so the receiver gets them in the order they happened, and
 * never awaited by the rollout's steps: a receiver that is down neither fails nor holds a rollout.
 * `settle()` (at the end of a run) waits for the chain, bounded by the retries, and says what was
 * not delivered, for the result.
 */
import { patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createHealthGateActivities } from '../activities/health-gates.js';
import { FailureTypes } from '../model/failures.js';
import {
  notificationsInput,
  type NotificationBody,
  type NotificationEvent,
  type NotificationReport,
  type NotificationsInput,
} from '../model/health-gates.js';
import { errorSummary } from './failures.js';
import { Patches } from './patches.js';

const { sendNotification } = proxyActivities<ReturnType<typeof createHealthGateActivities>>({
  startToCloseTimeout: '15 seconds',
  // About half a minute of retries at most: enough for a blip, bounded so the end is not held.
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '10s',
    maximumAttempts: 4,
    nonRetryableErrorTypes: [FailureTypes.GateFailed],
  },
});

export type NotificationFields = Omit<
  NotificationBody,
  'event' | 'seq' | 'workflowType' | 'workflowId' | 'runId' | 'at' | 'text'
>;

export class Notifier {
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly report: NotificationReport = { sent: 0, failed: [] };
  private readonly enabled: boolean;

  constructor(private readonly config: NotificationsInput | undefined) {
    // Runs without notifications schedule nothing new, so only configured runs take the patch.
    this.enabled = config !== undefined && patched(Patches.notifications);
  }

  /** Queue an event (when configured and selected); returns at once. */
  emit(event: NotificationEvent, text: string, fields: NotificationFields = {}): void {
    const config = this.config;
    if (!this.enabled || !config) return;
    if (config.events && !config.events.includes(event)) return;
    const info = workflowInfo();
    const body: NotificationBody = {
      event,
      seq: ++this.seq,
      workflowType: info.workflowType,
      workflowId: info.workflowId,
      runId: info.runId,
      at: Date.now(),
      text: `[${info.workflowType} ${info.workflowId}] ${text}`,
      ...fields,
    };
    const send = () =>
      sendNotification({
        url: config.url,
        ...(config.bearerTokenEnv ? { bearerTokenEnv: config.bearerTokenEnv } : {}),
        body,
      }).then(
        () => void this.report.sent++,
        (err: unknown) =>
          void this.report.failed.push({ event, seq: body.seq, reason: errorSummary(err).message }),
      );
    this.chain = this.chain.then(send);
  }

  /** Wait for every queued event; what was delivered and what was not. */
  async settle(): Promise<NotificationReport | undefined> {
    if (!this.enabled) return undefined;
    await this.chain;
    return { sent: this.report.sent, failed: [...this.report.failed] };
  }
}

/**
 * Started and finished events around a whole run, for the workflow types without events of their
 * own (package removal, data source attachment, IoT release). The config is read from the raw
 * input; an invalid one sends nothing (the run's own validation then refuses the input). The result
 * carries the delivery report as `notifications`.
 */
export async function withNotifications<R extends object>(
  rawInput: unknown,
  run: () => Promise<R>,
): Promise<R> {
  const raw = (rawInput ?? {}) as { notifications?: unknown; packageName?: unknown };
  const parsed =
    raw.notifications === undefined ? undefined : notificationsInput.safeParse(raw.notifications);
  if (!parsed?.success) return run();
  const notifier = new Notifier(parsed.data);
  const fields: NotificationFields = typeof raw.packageName === 'string' ? { package: raw.packageName } : {};
  notifier.emit('started', 'started', fields);
  try {
    const result = await run();
    const outcome = String(
      (result as { outcome?: unknown; status?: unknown }).outcome ??
        (result as { status?: unknown }).status ??
        'succeeded',
    );
    notifier.emit('finished', `finished: ${outcome}`, { ...fields, outcome });
    const notifications = await notifier.settle();
    return notifications ? { ...result, notifications } : result;
  } catch (err) {
    notifier.emit('finished', `finished: failed: ${errorSummary(err).message}`, {
      ...fields,
      outcome: 'failed',
    });
    await notifier.settle();
    throw err;
  }
}
