import { randomUUID } from 'node:crypto';
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  dataSourceAttachmentResult,
  startDataSourceAttachment,
} from '../../src/client/data-source-attachment.js';
import { dictionaryRolloutResult, startDictionaryRollout } from '../../src/client/dictionary-rollout.js';
import { iotPackageReleaseResult, startIotPackageRelease } from '../../src/client/iot-package-release.js';
import { packageRemovalResult, startPackageRemoval } from '../../src/client/package-removal.js';
import { CALL_PRIORITY } from '../../src/model/call-priority.js';
import { domainNames, freshDictionaryEmulator, rolloutInput, STAGING_BUCKET } from '../helpers/dictionary.js';
import { createDictionaryRefreshSchedule, triggerSchedule } from '../../src/client/schedules.js';
import { recordHistory } from '../helpers/history.js';
import { workflowMetadata } from '../helpers/visibility.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const EventType = proto.temporal.api.enums.v1.EventType;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack('other-workflows-priority');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack, {
    packageCopyingMs: 50,
    packageValidatingMs: 50,
    associationMs: 200,
    dissociationMs: 300,
  });
});

/** Each scheduled activity's type and the priority key it was scheduled with (0 = none). */
async function scheduledKeys(handle: WorkflowHandle): Promise<Array<[string, number]>> {
  const events = (await handle.fetchHistory()).events ?? [];
  return events
    .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    .map((e) => [
      e.activityTaskScheduledEventAttributes?.activityType?.name ?? '',
      e.activityTaskScheduledEventAttributes?.priority?.priorityKey ?? 0,
    ]);
}

describe("task queue priority of every workflow's calls", () => {
  it("a removal's dissociations, waits and deletion go at the cleanup key, its reads at the calls key", async () => {
    const domains = domainNames('prio-rm', 3);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const published = await startDictionaryRollout(stack.client, rolloutInput('prio-rm', domains, 'a, b\n'), {
      taskQueue: stack.taskQueue,
    });
    expect((await dictionaryRolloutResult(published.handle)).outcome).toBe('succeeded');

    const { handle, workflowId } = await startPackageRemoval(
      stack.client,
      { packageName: 'prio-rm', pollIntervalSeconds: 0.2, priority: { calls: 4, cleanup: 2 } },
      { taskQueue: stack.taskQueue },
    );
    expect((await packageRemovalResult(handle)).outcome).toBe('removed');
    const keys = await scheduledKeys(handle);
    // The reads that decide what to remove at `calls`; taking the package off the domains, the
    // check that none is left and the deletion at `cleanup` (the waits, one per round, too).
    expect(keys.filter(([type]) => type !== 'waitForDissociations')).toEqual([
      ['findPackageByName', 4],
      ['listDomainsForPackage', 4],
      ['dissociatePackage', 2],
      ['dissociatePackage', 2],
      ['dissociatePackage', 2],
      ['listDomainsForPackage', 2],
      ['deletePackage', 2],
      ['waitForPackageDeleted', 2],
    ]);
    const waits = keys.filter(([type]) => type === 'waitForDissociations');
    expect(waits.length).toBeGreaterThan(0);
    expect(waits.filter(([, key]) => key !== 2)).toEqual([]);
    await recordHistory(stack.client, workflowId, 'package-removal-priority');
  });

  it('a removal without a priority input uses the defaults: calls 3, cleanup 1', async () => {
    const domains = domainNames('prio-rd', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    const published = await startDictionaryRollout(stack.client, rolloutInput('prio-rd', domains, 'c\n'), {
      taskQueue: stack.taskQueue,
    });
    await dictionaryRolloutResult(published.handle);
    const { handle } = await startPackageRemoval(
      stack.client,
      { packageName: 'prio-rd', pollIntervalSeconds: 0.2, deletePackage: false },
      { taskQueue: stack.taskQueue },
    );
    await packageRemovalResult(handle);
    const keys = new Map(await scheduledKeys(handle));
    expect(keys.get('findPackageByName')).toBe(CALL_PRIORITY.person);
    expect(keys.get('dissociatePackage')).toBe(CALL_PRIORITY.cleanup);
  });

  it('a data source attachment sets its calls key on every call, the polling wait included', async () => {
    await stack.emulator.control.seedDomains([{ name: 'prio-dsa' }]);
    await stack.emulator.control.setDurations({ applicationCreatingMs: 7 * 24 * 3600_000 });
    const app = await stack.aws.opensearch.send(
      new CreateApplicationCommand({ name: `app-${randomUUID().slice(0, 8)}` }),
    );
    const { handle, workflowId } = await startDataSourceAttachment(
      stack.client,
      {
        applicationId: app.id!,
        dataSourceArn: 'arn:aws:es:us-east-1:123456789012:domain/prio-dsa',
        pollIntervalSeconds: 0.2,
        priority: { calls: 2 },
      },
      { taskQueue: stack.taskQueue },
    );
    // PENDING until the application is ACTIVE: the wait is an activity of its own.
    for (;;) {
      if ((await scheduledKeys(handle)).some(([t]) => t === 'waitForDataSourceAttachment')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // The Web UI's current details say at which key the calls wait, and where a held one shows.
    const details = (await workflowMetadata(handle)).currentDetails;
    expect(details).toContain('AWS calls at priority **2**');
    expect(details).toContain('*Scheduled* under Pending Activities is queued for the AWS call budget');
    await stack.emulator.control.setApplicationStatus(app.id!, 'ACTIVE');
    expect((await dataSourceAttachmentResult(handle)).status).toBe('ATTACHED');
    expect(await scheduledKeys(handle)).toEqual([
      ['resolveApplication', 2],
      ['attachDataSource', 2],
      ['waitForDataSourceAttachment', 2],
    ]);
    await recordHistory(stack.client, workflowId, 'data-source-attachment-priority');
  });

  it('an IoT release sets its calls key on every call', async () => {
    const { handle, workflowId } = await startIotPackageRelease(
      stack.client,
      { packageName: 'prio-agent', versionName: '1.0.0', priority: { calls: 5 } },
      { taskQueue: stack.taskQueue },
    );
    expect((await iotPackageReleaseResult(handle)).outcome).toBe('changed');
    const keys = await scheduledKeys(handle);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    expect(keys.filter(([, key]) => key !== 5)).toEqual([]);
    await recordHistory(stack.client, workflowId, 'iot-package-release-priority');
  });

  it("a scheduled refresh's calls, its associations included, go at the scheduled key (4, after a person's 3)", async () => {
    const domains = domainNames('prio-sched', 2);
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name })));
    await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: STAGING_BUCKET, Key: 'sources/prio-sched.txt', Body: 'k, l\n' }),
    );
    const scheduleId = `dictionary-refresh/prio-sched-${stack.taskQueue.slice(-8)}`;
    const { handle: schedule } = await createDictionaryRefreshSchedule(stack.client, {
      input: {
        ...rolloutInput('prio-sched', domains, ''),
        source: { kind: 's3', bucket: STAGING_BUCKET, key: 'sources/prio-sched.txt' },
      },
      every: '6h',
      scheduleId,
      taskQueue: stack.taskQueue,
    });
    try {
      const triggered = await triggerSchedule(stack.client, scheduleId);
      if (!triggered.started) throw new Error(`trigger did not start: ${triggered.reason}`);
      const run = stack.client.workflow.getHandle(triggered.run.workflowId);
      expect((await dictionaryRolloutResult(run)).outcome).toBe('succeeded');
      const keys = await scheduledKeys(run);
      expect(keys.length).toBeGreaterThanOrEqual(4);
      expect(
        keys.filter(([, key]) => key !== CALL_PRIORITY.scheduledRefresh),
        JSON.stringify(keys),
      ).toEqual([]);
      await recordHistory(stack.client, run.workflowId, 'dictionary-rollout-scheduled-refresh-priority');
    } finally {
      await schedule.delete();
    }
  });

  it('refuses a key outside 1-5 before anything runs, naming the field', async () => {
    await expect(
      startIotPackageRelease(
        stack.client,
        { packageName: 'prio-bad', versionName: '1.0.0', priority: { calls: 9 } },
        { taskQueue: stack.taskQueue },
      ),
    ).rejects.toThrow(/priority\.calls.*must be 1 \(first\) to 5 \(last\)/);
    expect(await stack.emulator.control.calls({ service: 'iot' })).toEqual([]);
  });
});
