import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { createOpenSearchPluginActivities } from '../../src/activities/opensearch-plugins.js';
import { runActivity, useActivityEmulator } from '../helpers/activity-env.js';

/**
 * Found by the chaos suite: AssociatePackages sent again after its first answer was lost (a reset
 * after the change was applied, or a worker killed mid-call) meets a bundle that is already there.
 * Once the blue/green deployment is over, AWS answers that with "Package is already in desired
 * state" (a ConflictException); the activity used to retry that for ever (the plugin rollout stayed
 * open with its domain associated). It is done: the wait that follows confirms the rows and the
 * deployment.
 */
const stack = useActivityEmulator();
const env = new MockActivityEnvironment();

beforeEach(async () => {
  await stack.emulator().control.reset();
  await stack
    .emulator()
    .control.setDurations({ packageCopyingMs: 0, packageValidatingMs: 0, blueGreenMs: 0 });
  await stack.emulator().control.seedDomains([{ name: 'plug-1' }]);
  await stack.aws().s3.send(new CreateBucketCommand({ Bucket: 'staging' }));
  await stack
    .aws()
    .s3.send(new PutObjectCommand({ Bucket: 'staging', Key: 'p.zip', Body: 'PK\u0003\u0004 plugin' }));
});

describe('associatePluginBundle sent again after its answer was lost', () => {
  it('reads "already in desired state" as done, not as a conflict to retry', async () => {
    const plugins = createOpenSearchPluginActivities({ aws: stack.aws() });
    await runActivity(env, plugins.createPluginPackage, {
      packageName: 'plug-retry',
      packageType: 'ZIP-PLUGIN',
      description: 'plugin',
      bucket: 'staging',
      key: 'p.zip',
      engineVersion: 'OpenSearch_2.19',
    });
    const found = await runActivity(env, plugins.findPluginPackage, { packageName: 'plug-retry' });
    const input = { domain: 'plug-1', packages: [{ packageId: found!.packageId }] };
    expect(await runActivity(env, plugins.associatePluginBundle, input)).toBe('started');
    // The deployment is over and the row ACTIVE: the resent call is answered "already in desired state".
    for (let i = 0; ; i++) {
      const rows = await runActivity(env, plugins.listDomainPackageRows, { domain: 'plug-1' });
      if (rows.every((r) => r.status === 'ACTIVE')) break;
      if (i > 50) throw new Error('the association never became ACTIVE');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await runActivity(env, plugins.associatePluginBundle, input)).toBe('started');
    const calls = await stack.emulator().control.calls({ operation: 'AssociatePackages' });
    expect(calls.map((c) => c.httpStatus)).toEqual([200, 409]);
  });
});

describe('dissociatePluginBundle sent again after its answer was lost', () => {
  it('reads "not associated" as done once the bundle is gone, not as a failed dissociation', async () => {
    const plugins = createOpenSearchPluginActivities({ aws: stack.aws() });
    await runActivity(env, plugins.createPluginPackage, {
      packageName: 'plug-gone',
      packageType: 'ZIP-PLUGIN',
      description: 'plugin',
      bucket: 'staging',
      key: 'p.zip',
      engineVersion: 'OpenSearch_2.19',
    });
    const found = await runActivity(env, plugins.findPluginPackage, { packageName: 'plug-gone' });
    const id = found!.packageId;
    await runActivity(env, plugins.associatePluginBundle, {
      domain: 'plug-1',
      packages: [{ packageId: id }],
    });
    const settled = async (want: (rows: Array<{ status: string }>) => boolean) => {
      for (let i = 0; ; i++) {
        if (want(await runActivity(env, plugins.listDomainPackageRows, { domain: 'plug-1' }))) return;
        if (i > 50) throw new Error('the domain never settled');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await settled((rows) => rows.length > 0 && rows.every((r) => r.status === 'ACTIVE'));
    const input = { domain: 'plug-1', packageIds: [id] };
    expect(await runActivity(env, plugins.dissociatePluginBundle, input)).toBe('started');
    await settled((rows) => rows.length === 0);
    expect(await runActivity(env, plugins.dissociatePluginBundle, input)).toBe('started');
    const calls = await stack.emulator().control.calls({ operation: 'DissociatePackages' });
    expect(calls.map((c) => c.errorCode ?? c.httpStatus)).toEqual([200, 'ResourceNotFoundException']);
  });
});
