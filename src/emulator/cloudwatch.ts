/**
 * CloudWatch alarms, as far as health gates use them: DescribeAlarms and SetAlarmState.
 *
 * The installed @aws-sdk/client-cloudwatch speaks AWS JSON 1.0 (query-compatible): POST / with
 * `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`, a JSON body, timestamps as epoch
 * seconds, and errors as `{ __type, message }` plus the `x-amzn-query-error: Code;Sender` header
 * that maps them back to the query protocol's codes. Requests are routed here by the SigV4 scope
 * `monitoring`. Alarms are created through the control API (POST /_emulator/alarms), per account
 * and Region (places.ts), and kept in the state file.
 */
import { AwsError, constraintViolation } from './errors.js';
import { epochSeconds, jsonBody, type ServiceRequest } from './service.js';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801.';
export const ALARM_STATES = ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

export type SavedAlarm = Alarm;

interface Alarm {
  name: string;
  state: AlarmState;
  reason: string;
  updatedAt: number;
}

export class CloudWatchService {
  private readonly alarms = new Map<string, Alarm>();

  constructor(private readonly context: { region: string; accountId: string }) {}

  reset(): void {
    this.alarms.clear();
  }

  /** Control API: create (or reset) metric alarms, OK unless a state is given. */
  seedAlarms(alarms: Array<{ name: string; state?: AlarmState; reason?: string }>, now: number): string[] {
    for (const a of alarms) {
      checkName(a.name, 'alarmName');
      this.alarms.set(a.name, {
        name: a.name,
        state: a.state ?? 'OK',
        reason: a.reason ?? 'created by the emulator control API',
        updatedAt: now,
      });
    }
    return alarms.map((a) => a.name);
  }

  save(): SavedAlarm[] {
    return [...this.alarms.values()].map((a) => ({ ...a }));
  }

  restore(saved: SavedAlarm[] | undefined): void {
    this.alarms.clear();
    for (const a of saved ?? []) this.alarms.set(a.name, { ...a });
  }

  snapshot(): Array<{ name: string; state: AlarmState; reason: string }> {
    return [...this.alarms.values()].map(({ name, state, reason }) => ({ name, state, reason }));
  }

  handle(req: ServiceRequest): unknown {
    try {
      return this.dispatch(req);
    } catch (err) {
      // CloudWatch's code for a constraint violation is ValidationError (its query-protocol name).
      if (err instanceof AwsError && err.code === 'ValidationException')
        throw new AwsError('ValidationError', 400, err.message);
      throw err;
    }
  }

  private dispatch(req: ServiceRequest): unknown {
    const body = jsonBody(req);
    switch (req.operation) {
      case 'DescribeAlarms':
        return this.describeAlarms(body);
      case 'SetAlarmState':
        return this.setAlarmState(body, req.now);
    }
    throw new AwsError(
      'UnknownOperationException',
      400,
      `${req.operation} is not implemented by the emulator`,
    );
  }

  private describeAlarms(body: Record<string, unknown>): unknown {
    const names = body.AlarmNames as unknown;
    const prefix = body.AlarmNamePrefix as unknown;
    const stateValue = body.StateValue as unknown;
    const maxRecords = (body.MaxRecords as number | undefined) ?? 50;
    if (names !== undefined && prefix !== undefined)
      throw new AwsError(
        'InvalidParameterCombination',
        400,
        'AlarmNames and AlarmNamePrefix cannot be specified together',
      );
    if (Array.isArray(names)) {
      if (names.length > 100)
        throw constraintViolation(
          names.length,
          'alarmNames',
          'Member must have length less than or equal to 100',
        );
      names.forEach((n) => checkName(n, 'alarmNames.member'));
    }
    if (prefix !== undefined) checkName(prefix, 'alarmNamePrefix');
    if (stateValue !== undefined && !ALARM_STATES.includes(stateValue as AlarmState))
      throw constraintViolation(
        stateValue,
        'stateValue',
        `Member must satisfy enum value set: [${ALARM_STATES.join(', ')}]`,
      );
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 100)
      throw constraintViolation(maxRecords, 'maxRecords', 'Member must have value between 1 and 100');
    const types = body.AlarmTypes as string[] | undefined;
    const wantMetric = !types || types.includes('MetricAlarm');
    const all = [...this.alarms.values()]
      .filter((a) => (Array.isArray(names) ? names.includes(a.name) : true))
      .filter((a) => (typeof prefix === 'string' ? a.name.startsWith(prefix) : true))
      .filter((a) => (stateValue ? a.state === stateValue : true))
      .sort((a, b) => a.name.localeCompare(b.name));
    const start = typeof body.NextToken === 'string' ? Number.parseInt(body.NextToken, 10) || 0 : 0;
    const page = wantMetric ? all.slice(start, start + maxRecords) : [];
    const next = wantMetric && start + maxRecords < all.length ? String(start + maxRecords) : undefined;
    return {
      MetricAlarms: page.map((a) => this.describe(a)),
      CompositeAlarms: [],
      ...(next ? { NextToken: next } : {}),
    };
  }

  private describe(a: Alarm): Record<string, unknown> {
    const { region, accountId } = this.context;
    return {
      AlarmName: a.name,
      AlarmArn: `arn:aws:cloudwatch:${region}:${accountId}:alarm:${a.name}`,
      ActionsEnabled: false,
      StateValue: a.state,
      StateReason: a.reason,
      StateUpdatedTimestamp: epochSeconds(a.updatedAt),
      StateTransitionedTimestamp: epochSeconds(a.updatedAt),
      MetricName: 'emulated',
      Namespace: 'AWS/ES',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    };
  }

  private setAlarmState(body: Record<string, unknown>, now: number): unknown {
    const name = body.AlarmName;
    checkName(name, 'alarmName');
    const state = body.StateValue;
    if (!ALARM_STATES.includes(state as AlarmState))
      throw constraintViolation(
        state,
        'stateValue',
        `Member must satisfy enum value set: [${ALARM_STATES.join(', ')}]`,
      );
    const reason = body.StateReason;
    if (typeof reason !== 'string' || reason.length > 1023)
      throw new AwsError(
        'ValidationError',
        400,
        'StateReason is required and must be at most 1023 characters',
      );
    const alarm = this.alarms.get(name as string);
    if (!alarm) throw new AwsError('ResourceNotFound', 404, `Alarm ${String(name)} does not exist`);
    Object.assign(alarm, { state: state as AlarmState, reason, updatedAt: now });
    return {};
  }
}

function checkName(value: unknown, member: string): void {
  if (typeof value !== 'string' || value.length < 1 || value.length > 255)
    throw constraintViolation(value, member, 'Member must have length between 1 and 255');
}
