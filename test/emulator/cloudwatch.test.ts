import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { credentials } from './harness.js';

let emulator: RunningEmulator;
let cloudwatch: CloudWatchClient;
beforeAll(async () => {
  emulator = await startEmulator();
  cloudwatch = new CloudWatchClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
});
afterAll(async () => {
  cloudwatch?.destroy();
  await emulator?.stop();
});
beforeEach(async () => {
  await emulator.control.reset();
});

describe('CloudWatch alarms, through the real @aws-sdk/client-cloudwatch', () => {
  it('DescribeAlarms by names, by prefix, by state, paged; the request is the AWS JSON 1.0 the SDK sends', async () => {
    await emulator.control.createAlarms([
      { name: 'opensearch-a-cluster-red' },
      { name: 'opensearch-b-cluster-red', state: 'ALARM', reason: 'red' },
      { name: 'fleet-5xx', state: 'INSUFFICIENT_DATA' },
    ]);
    const byName = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: ['opensearch-b-cluster-red', 'fleet-5xx', 'missing'] }),
    );
    expect(byName.MetricAlarms?.map((a) => [a.AlarmName, a.StateValue, a.StateReason])).toEqual([
      ['fleet-5xx', 'INSUFFICIENT_DATA', 'created by the emulator control API'],
      ['opensearch-b-cluster-red', 'ALARM', 'red'],
    ]);
    expect(byName.MetricAlarms?.[0]?.StateUpdatedTimestamp).toBeInstanceOf(Date);
    const byPrefix = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'opensearch-' }));
    expect(byPrefix.MetricAlarms?.map((a) => a.AlarmName)).toEqual([
      'opensearch-a-cluster-red',
      'opensearch-b-cluster-red',
    ]);
    const firing = await cloudwatch.send(new DescribeAlarmsCommand({ StateValue: 'ALARM' }));
    expect(firing.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['opensearch-b-cluster-red']);
    const page1 = await cloudwatch.send(new DescribeAlarmsCommand({ MaxRecords: 2 }));
    expect(page1.MetricAlarms).toHaveLength(2);
    const page2 = await cloudwatch.send(
      new DescribeAlarmsCommand({ MaxRecords: 2, NextToken: page1.NextToken }),
    );
    expect(page2.MetricAlarms?.map((a) => a.AlarmName)).toEqual(['opensearch-b-cluster-red']);
    expect(page2.NextToken).toBeUndefined();

    const calls = await emulator.control.calls({ service: 'monitoring' });
    expect(calls.map((c) => [c.operation, c.httpStatus])).toEqual(
      Array.from({ length: 5 }, () => ['DescribeAlarms', 200]),
    );
  });

  it('SetAlarmState moves an alarm; an unknown alarm is ResourceNotFound; names over 255 are refused', async () => {
    await emulator.control.createAlarms([{ name: 'canary-errors' }]);
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: 'canary-errors',
        StateValue: 'ALARM',
        StateReason: 'test: errors up',
      }),
    );
    const out = await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: ['canary-errors'] }));
    expect(out.MetricAlarms?.[0]).toMatchObject({ StateValue: 'ALARM', StateReason: 'test: errors up' });
    const missing = await cloudwatch
      .send(new SetAlarmStateCommand({ AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }))
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFound);
    const tooLong = await cloudwatch
      .send(new DescribeAlarmsCommand({ AlarmNames: ['x'.repeat(256)] }))
      .catch((e: unknown) => e as Error);
    expect((tooLong as Error).name).toMatch(/^Validation/);
    expect((tooLong as Error).message).toMatch(/length between 1 and 255/);
  });
});
