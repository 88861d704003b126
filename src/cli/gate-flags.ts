/**
 * The health-gate and notification flags of `rollouts dictionary` (and `schedule create`): bake
 * time, CloudWatch alarm gates, webhook gates and the notification webhook
 * (src/model/health-gates.ts, docs/health-gates.md). The flags only shape the input; every rule is
 * the schema's, so a bad value is refused naming its field (and flag) before anything starts.
 * What has no flag here (per-gate retries and timeouts) goes through --input.
 */
import { InvalidInputError } from '../model/validation.js';
import { bool, list, num, str, type Options, type Values } from './args.js';
import { UsageError } from './errors.js';

export const GATE_OPTIONS: Options = {
  bake: {
    type: 'string',
    arg: 'duration',
    help: 'bake after each wave while the gates are watched: seconds, or 30s / 10m / 1h [0]',
    field: 'policy.bakeSeconds',
  },
  alarm: {
    type: 'string',
    multiple: true,
    arg: 'name',
    help: 'a CloudWatch alarm gate; {domain} in it expands to each domain (repeat the flag)',
    field: 'policy.gates.alarms.names',
  },
  'alarm-prefix': {
    type: 'string',
    multiple: true,
    arg: 'prefix',
    help: 'every alarm whose name starts with this is a gate; {domain} as in --alarm (repeat)',
    field: 'policy.gates.alarms.prefixes',
  },
  'alarm-insufficient-data-fails': {
    type: 'boolean',
    help: 'an alarm in INSUFFICIENT_DATA fails its gate too',
    field: 'policy.gates.alarms.failOnInsufficientData',
  },
  'alarm-check-interval': {
    type: 'string',
    arg: 'seconds',
    help: 'how often the alarms are read during a bake [60]',
    field: 'policy.gates.alarms.checkIntervalSeconds',
  },
  'webhook-gate': {
    type: 'string',
    multiple: true,
    arg: '[name=]url',
    help: 'POSTed after each bake, 2xx passes; named gate-1, gate-2, ... unless given (repeat)',
    field: 'policy.gates.webhooks',
  },
  'webhook-gate-token-env': {
    type: 'string',
    arg: 'NAME',
    help: "the worker's ROLLOUTS_SECRET_* variable whose value the --webhook-gate calls send as bearer token",
    field: 'policy.gates.webhooks.bearerTokenEnv',
  },
  'notify-url': {
    type: 'string',
    arg: 'url',
    help: 'send the events of the run to this webhook (Slack-compatible JSON)',
    field: 'notifications.url',
  },
  'notify-events': {
    type: 'string',
    arg: 'e,e,...',
    help: 'only these events (started, wave-started, gate-failed, rolled-back, finished, ...) [all]',
    field: 'notifications.events',
  },
  'notify-token-env': {
    type: 'string',
    arg: 'NAME',
    help: "the worker's ROLLOUTS_SECRET_* variable whose value notifications send as bearer token",
    field: 'notifications.bearerTokenEnv',
  },
};

/** `600`, `90s`, `10m`, `1.5h`: seconds. */
function duration(values: Values, name: string): number | undefined {
  const raw = str(values, name);
  if (raw === undefined) return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(raw);
  if (!m)
    throw new InvalidInputError('command line', [
      {
        field: GATE_OPTIONS[name]!.field!,
        rule: `must be seconds, or a number with s, m or h (--${name} ${raw})`,
      },
    ]);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? 's') as 's' | 'm' | 'h'];
}

const object = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};

/** Puts the gate flags into `input` (from --input or empty): a flag given replaces that field. */
export function applyGateFlags(input: Record<string, unknown>, values: Values, command: string): void {
  const policy = object(input.policy);
  const bake = duration(values, 'bake');
  if (bake !== undefined) policy.bakeSeconds = bake;

  const gates = object(policy.gates);
  const alarms = object(gates.alarms);
  const names = values.alarm as string[] | undefined;
  const prefixes = values['alarm-prefix'] as string[] | undefined;
  if (names) alarms.names = names;
  if (prefixes) alarms.prefixes = prefixes;
  if (bool(values, 'alarm-insufficient-data-fails')) alarms.failOnInsufficientData = true;
  const interval = num(values, 'alarm-check-interval', GATE_OPTIONS);
  if (interval !== undefined) alarms.checkIntervalSeconds = interval;
  if (Object.keys(alarms).length > 0) gates.alarms = alarms;

  const hooks = values['webhook-gate'] as string[] | undefined;
  const tokenEnv = str(values, 'webhook-gate-token-env');
  if (tokenEnv !== undefined && !hooks)
    throw new UsageError('--webhook-gate-token-env applies to --webhook-gate: give one', command);
  if (hooks)
    gates.webhooks = hooks.map((raw, i) => {
      // `name=url`: a name never holds ':' or '/', so an https://...?a=b URL is not split.
      const named = /^([A-Za-z0-9._-]+)=(.*)$/.exec(raw);
      return {
        name: named ? named[1] : `gate-${i + 1}`,
        url: named ? named[2] : raw,
        ...(tokenEnv !== undefined ? { bearerTokenEnv: tokenEnv } : {}),
      };
    });
  if (Object.keys(gates).length > 0) policy.gates = gates;
  if (Object.keys(policy).length > 0) input.policy = policy;

  const notifications = object(input.notifications);
  if (str(values, 'notify-url') !== undefined) notifications.url = str(values, 'notify-url');
  const events = str(values, 'notify-events');
  if (events !== undefined) notifications.events = list(events);
  if (str(values, 'notify-token-env') !== undefined)
    notifications.bearerTokenEnv = str(values, 'notify-token-env');
  if (Object.keys(notifications).length > 0) input.notifications = notifications;
}
