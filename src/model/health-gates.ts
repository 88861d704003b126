/**
 * Health gates and notifications (issue 17), declared once: what a rollout watches between waves
 * (bake time, CloudWatch alarms, webhook checks), what it reports when a gate fails, and the
 * webhook events it sends. Shared by the CLI, the client, the workflows and the JSON Schemas.
 */
import { z } from 'zod';
import { epochMs } from './failures.js';

/** Longest bake after one wave: a day. Longer waits belong to approvals, not to a bake. */
export const BAKE_SECONDS_MAX = 24 * 3600;
/** AWS: AlarmName and AlarmNamePrefix are 1-255 characters; DescribeAlarms takes 100 names a call. */
export const ALARM_NAME_MAX = 255;
export const ALARM_NAMES_MAX = 100;
export const ALARM_PREFIXES_MAX = 10;
/** The longest domain name AWS allows: what `{domain}` can grow to. */
const DOMAIN_NAME_MAX = 28;
export const DOMAIN_PLACEHOLDER = '{domain}';
export const WEBHOOKS_MAX = 10;

/** The length an alarm name can reach once `{domain}` is replaced by the longest domain name. */
function expandedLength(template: string): number {
  const n = template.split(DOMAIN_PLACEHOLDER).length - 1;
  return template.length + n * (DOMAIN_NAME_MAX - DOMAIN_PLACEHOLDER.length);
}

const alarmName = z
  .string()
  .min(1, 'must not be empty')
  .refine(
    (v) => expandedLength(v) <= ALARM_NAME_MAX,
    `must be at most ${ALARM_NAME_MAX} characters (AWS's limit) with {domain} replaced by a ${DOMAIN_NAME_MAX}-character domain name`,
  )
  // eslint-disable-next-line no-control-regex
  .refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'must not contain control characters');

/**
 * A user-given URL for a webhook: https, or http to loopback only (a local receiver), no
 * credentials. The worker checks it again under the outbound URL policy before connecting.
 */
export const webhookUrl = z.string().refine((raw) => {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}, 'must be an https:// URL without credentials (http:// only for localhost / 127.0.0.1 / [::1])');

/**
 * The NAME of a worker environment variable holding a bearer token. Only names with this prefix
 * are read, so that an input can never send the worker's other secrets (AWS keys) to a URL.
 */
export const SECRET_ENV_PREFIX = 'ROLLOUTS_SECRET_';
export const secretEnvName = z
  .string()
  .regex(
    /^ROLLOUTS_SECRET_[A-Z0-9_]{1,100}$/,
    `must be the name of a worker environment variable starting with ${SECRET_ENV_PREFIX} (A-Z, 0-9, _); the value never travels in the input`,
  );

export const alarmGates = z
  .object({
    names: z
      .array(alarmName)
      .max(ALARM_NAMES_MAX, `must list at most ${ALARM_NAMES_MAX} alarm names`)
      .default([])
      .describe('alarm names; {domain} expands to each domain moved so far (or planned, before wave 1)'),
    prefixes: z
      .array(alarmName)
      .max(ALARM_PREFIXES_MAX, `must list at most ${ALARM_PREFIXES_MAX} prefixes`)
      .default([])
      .describe('alarm name prefixes (AlarmNamePrefix); {domain} expands as in names'),
    failOnInsufficientData: z.boolean().default(false),
    checkIntervalSeconds: z
      .number()
      .min(0.05)
      .max(600)
      .default(60)
      .describe('how often alarms are read during a bake'),
  })
  .strict();
export type AlarmGates = z.output<typeof alarmGates>;

export const webhookGate = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ -'),
    url: webhookUrl,
    bearerTokenEnv: secretEnvName.optional(),
    timeoutSeconds: z.number().min(0.1).max(60).default(10),
    retries: z.number().int().min(0).max(10).default(2).describe('further attempts after the first'),
  })
  .strict();
export type WebhookGate = z.output<typeof webhookGate>;

export const healthGates = z
  .object({
    alarms: alarmGates.optional(),
    webhooks: z
      .array(webhookGate)
      .max(WEBHOOKS_MAX, `must list at most ${WEBHOOKS_MAX} webhooks`)
      .default([])
      .superRefine((hooks, ctx) => {
        const seen = new Set<string>();
        hooks.forEach((h, i) => {
          if (seen.has(h.name))
            ctx.addIssue({
              code: 'custom',
              message: `duplicate webhook name '${h.name}'`,
              path: [i, 'name'],
            });
          seen.add(h.name);
        });
      }),
  })
  .strict();
export type HealthGates = z.output<typeof healthGates>;

export const bakeSeconds = z
  .number()
  .min(0)
  .max(BAKE_SECONDS_MAX, `must be at most ${BAKE_SECONDS_MAX} (24 hours)`)
  .default(0);

// ---- gate failures -------------------------------------------------------------------------

export const gateFailure = z.object({
  gate: z.enum(['alarm', 'webhook']),
  /** 0-based index of the wave the gate followed; -1 = before the first wave. */
  wave: z.number().int(),
  alarm: z.string().optional().describe('the alarm that fired'),
  state: z.string().optional().describe('its StateValue: ALARM or INSUFFICIENT_DATA'),
  webhook: z.string().optional().describe("the webhook gate's name"),
  url: z.string().optional(),
  reason: z.string(),
  at: epochMs,
});
export type GateFailure = z.infer<typeof gateFailure>;

/** What the alarm activity reports: the alarms that fail the gate (empty = healthy). */
export interface FiringAlarm {
  name: string;
  state: string;
  reason: string;
}

// ---- notifications ---------------------------------------------------------------------------

export const notificationEvents = [
  'started',
  'wave-started',
  'waiting-for-approval',
  'gate-failed',
  'rolled-back',
  'finished',
] as const;
export const notificationEvent = z.enum(notificationEvents);
export type NotificationEvent = z.infer<typeof notificationEvent>;

export const notificationsInput = z
  .object({
    url: webhookUrl,
    bearerTokenEnv: secretEnvName.optional(),
    events: z
      .array(notificationEvent)
      .min(1)
      .optional()
      .describe('the events to send; all of them when absent'),
  })
  .strict();
export type NotificationsInput = z.output<typeof notificationsInput>;

/** The JSON body of every notification (schemas/notification.schema.json). */
export const notificationBody = z
  .object({
    event: notificationEvent,
    seq: z.number().int().min(1).describe('1, 2, ... per run: the order the events happened in'),
    workflowType: z.string(),
    workflowId: z.string(),
    runId: z.string(),
    at: epochMs,
    text: z.string().describe('a one-line summary; Slack incoming webhooks show this field'),
    package: z.string().optional(),
    version: z.string().optional(),
    wave: z.number().int().optional().describe('1-based wave number'),
    waves: z.number().int().optional(),
    domains: z.array(z.string()).optional(),
    outcome: z.string().optional(),
    gate: gateFailure.optional(),
  })
  .strict();
export type NotificationBody = z.infer<typeof notificationBody>;

export const notificationReport = z.object({
  sent: z.number().int(),
  failed: z.array(z.object({ event: notificationEvent, seq: z.number().int(), reason: z.string() })),
});
export type NotificationReport = z.infer<typeof notificationReport>;
