/**
 * Health gate and notification activities (issue 17): one external call each.
 * - `watchAlarms`: reads the named alarms (DescribeAlarms) once per attempt; a firing alarm fails it
 *   for good (GateFailed), a healthy read before the bake's end is NotReady, so Temporal retries it
 *   every check interval and a bake of hours costs the same few history events as one of seconds.
 * - `callWebhookGate`: one HTTPS POST of the rollout's context; 2xx passes, anything else fails this
 *   attempt (the workflow's retry policy bounds the attempts).
 * - `sendNotification`: one HTTPS POST of an event body.
 * Every URL goes through the outbound URL policy; a bearer token is read from the worker's
 * environment by the name the input gives, and only names with the ROLLOUTS_SECRET_ prefix.
 */
import { DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { loadStagingConfig } from '../config.js';
import { FailureTypes } from '../model/failures.js';
import {
  ALARM_NAMES_MAX,
  SECRET_ENV_PREFIX,
  type FiringAlarm,
  type NotificationBody,
} from '../model/health-gates.js';
import { createOutboundGuard, OutboundUrlError, type OutboundPolicy } from '../net/outbound-url.js';
import { toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';
import { notReady } from './polling.js';

export interface WatchAlarmsInput {
  /** Names with {domain} already expanded. */
  names: string[];
  prefixes: string[];
  failOnInsufficientData: boolean;
  /** Epoch ms (workflow time): healthy reads before it are NotReady; 0 = one check. */
  until: number;
}

export interface WebhookCallInput {
  name: string;
  url: string;
  bearerTokenEnv?: string;
  timeoutSeconds: number;
  /** The rollout's context: workflow id, package, version, wave, domains. No secrets. */
  context: Record<string, unknown>;
}

export interface NotificationInput {
  url: string;
  bearerTokenEnv?: string;
  body: NotificationBody;
}

export interface HealthGateActivityOptions {
  outbound: OutboundPolicy;
  /** Where bearer tokens are looked up by name [process.env]. */
  env?: NodeJS.ProcessEnv;
}

export function createHealthGateActivities(
  deps: ActivityDeps,
  options: HealthGateActivityOptions = { outbound: loadStagingConfig().outbound },
) {
  const guard = createOutboundGuard(options.outbound);
  const env = options.env ?? process.env;

  async function describeFiring(input: WatchAlarmsInput): Promise<FiringAlarm[]> {
    const { cloudwatch } = deps.aws;
    const found: MetricAlarm[] = [];
    const reads: Array<{ AlarmNames?: string[]; AlarmNamePrefix?: string }> = [];
    for (let i = 0; i < input.names.length; i += ALARM_NAMES_MAX)
      reads.push({ AlarmNames: input.names.slice(i, i + ALARM_NAMES_MAX) });
    for (const prefix of input.prefixes) reads.push({ AlarmNamePrefix: prefix });
    // One logical read: the names in batches of AWS's 100, each prefix, each paged through.
    for (const read of reads) {
      let NextToken: string | undefined;
      do {
        try {
          const out = await cloudwatch.send(
            new DescribeAlarmsCommand({ ...read, AlarmTypes: ['MetricAlarm'], MaxRecords: 100, NextToken }),
          );
          found.push(...(out.MetricAlarms ?? []));
          NextToken = out.NextToken;
        } catch (err) {
          throw toActivityFailure(err, { service: 'monitoring', operation: 'DescribeAlarms' });
        }
      } while (NextToken);
    }
    const failing = new Set(['ALARM', ...(input.failOnInsufficientData ? ['INSUFFICIENT_DATA'] : [])]);
    return found
      .filter((a) => failing.has(a.StateValue ?? ''))
      .map((a) => ({ name: a.AlarmName ?? '', state: a.StateValue ?? '', reason: a.StateReason ?? '' }));
  }

  function bearer(name: string | undefined, field: string): Record<string, string> {
    if (!name) return {};
    const value = name.startsWith(SECRET_ENV_PREFIX) ? env[name] : undefined;
    if (!value)
      throw ApplicationFailure.create({
        message: `${field}: the worker has no environment variable ${name} (the token is read from the worker, never from the input)`,
        type: FailureTypes.GateFailed,
        nonRetryable: true,
      });
    return { authorization: `Bearer ${value}` };
  }

  /** One POST; resolves with the status when 2xx, throws a retryable failure otherwise. */
  async function post(
    url: string,
    body: unknown,
    headers: Record<string, string>,
    timeoutSeconds: number,
    field: string,
    type: string,
  ): Promise<number> {
    const signal = AbortSignal.any([
      AbortSignal.timeout(timeoutSeconds * 1000),
      Context.current().cancellationSignal,
    ]);
    let status: number;
    try {
      const { response } = await guard.post(url, {
        field,
        body: JSON.stringify(body),
        headers: { 'user-agent': 'package-rollouts', ...headers },
        signal,
      });
      status = response.statusCode ?? 0;
      response.resume(); // the answer's body is not read: 2xx is the whole verdict
    } catch (err) {
      if (err instanceof OutboundUrlError)
        throw ApplicationFailure.create({ message: err.message, type, nonRetryable: true });
      const reason = signal.aborted ? `no answer within ${timeoutSeconds}s` : (err as Error).message;
      throw ApplicationFailure.create({ message: `${field}: POST ${url}: ${reason}`, type });
    }
    if (status < 200 || status > 299)
      throw ApplicationFailure.create({ message: `${field}: POST ${url} answered HTTP ${status}`, type });
    return status;
  }

  return {
    async watchAlarms(input: WatchAlarmsInput): Promise<{ checkedAt: number }> {
      const firing = await describeFiring(input);
      if (firing.length > 0) {
        const first = firing[0]!;
        throw ApplicationFailure.create({
          message: `alarm ${first.name} is ${first.state}: ${first.reason}`,
          type: FailureTypes.GateFailed,
          nonRetryable: true,
          details: [firing],
        });
      }
      if (Date.now() < input.until)
        throw notReady(`baking until ${new Date(input.until).toISOString()}; every alarm healthy`);
      return { checkedAt: Date.now() };
    },

    async callWebhookGate(input: WebhookCallInput): Promise<{ status: number }> {
      const field = `webhook ${input.name}`;
      const headers = bearer(input.bearerTokenEnv, field);
      const status = await post(
        input.url,
        input.context,
        headers,
        input.timeoutSeconds,
        field,
        FailureTypes.GateFailed,
      );
      return { status };
    },

    async sendNotification(input: NotificationInput): Promise<{ status: number }> {
      const field = `notification ${input.body.event}`;
      const status = await post(
        input.url,
        input.body,
        bearer(input.bearerTokenEnv, field),
        10,
        field,
        FailureTypes.NotificationFailed,
      );
      return { status };
    },
  };
}
