import {
  AssociatePackagesCommand,
  CreatePackageCommand,
  DescribeDomainChangeProgressCommand,
  DescribeDomainCommand,
  ListPackagesForDomainCommand,
} from '@aws-sdk/client-opensearch';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pluginRolloutResult, startPluginRollout } from '../../src/client/plugin-rollout.js';
import { FailureTypes } from '../../src/model/failures.js';
import type { PluginRolloutInput, PluginRolloutProgress } from '../../src/model/plugin-rollout.js';
import { InvalidInputError } from '../../src/model/validation.js';
import { pluginRolloutMessages } from '../../src/workflows/messages.js';
import { freshDictionaryEmulator, STAGING_BUCKET } from '../helpers/dictionary.js';
import { recordHistory } from '../helpers/history.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
const ENGINE = 'OpenSearch_2.19';
/** A ZIP's local file header signature: all the emulator (like AWS's first check) looks at. ASCII, so it travels inline. */
const ZIP_MAGIC = 'PK\u0003\u0004';

beforeAll(async () => {
  stack = await startTestStack('plugin-rollout');
});
afterAll(async () => {
  await stack?.stop();
});
beforeEach(async () => {
  await freshDictionaryEmulator(stack, {
    packageCopyingMs: 50,
    packageValidatingMs: 50,
    // Long enough that the query sees the deployment run, short enough for a test.
    blueGreenMs: 2500,
  });
});

function pluginInput(
  name: string,
  domains: string[],
  extra: Partial<PluginRolloutInput> = {},
): PluginRolloutInput {
  return {
    engineVersion: ENGINE,
    bundle: { plugin: { packageName: name, source: { kind: 'inline', text: `${ZIP_MAGIC}plugin ${name}` } } },
    staging: { bucket: STAGING_BUCKET },
    domains,
    pollIntervalSeconds: 0.2,
    maxConcurrency: 3,
    ...extra,
  };
}

/** A third-party plugin: the plugin requires a license and takes a configuration. */
function bundleInput(name: string, domains: string[]): PluginRolloutInput {
  return pluginInput(name, domains, {
    bundle: {
      plugin: {
        packageName: name,
        source: { kind: 'inline', text: `${ZIP_MAGIC}third-party plugin` },
        packageConfiguration: {
          licenseRequirement: 'REQUIRED',
          licenseFilepath: 'license.json',
          configurationRequirement: 'OPTIONAL',
          requiresRestartForConfigurationUpdate: true,
        },
      },
      license: { packageName: `${name}-license`, source: { kind: 'inline', text: '{"key":"example"}' } },
      config: { packageName: `${name}-config`, source: { kind: 'inline', text: '{"threads":2}' } },
    },
  });
}

async function rows(domain: string) {
  const out = await stack.aws.opensearch.send(new ListPackagesForDomainCommand({ DomainName: domain }));
  return out.DomainPackageDetailsList ?? [];
}

async function mutatingCalls() {
  return (await stack.emulator.control.calls()).filter((c) => c.mutating);
}

/** Runs a rollout while querying its progress; returns the result and every progress seen. */
async function runWatched(input: PluginRolloutInput) {
  const { handle, workflowId } = await startPluginRollout(stack.client, input, {
    taskQueue: stack.taskQueue,
  });
  const seen: PluginRolloutProgress[] = [];
  let finished = false;
  const done = pluginRolloutResult(handle).finally(() => (finished = true));
  while (!finished) {
    seen.push(await handle.query(pluginRolloutMessages.progress).catch(() => seen[seen.length - 1]!));
    await new Promise((r) => setTimeout(r, 100));
  }
  return { result: await done, seen: seen.filter(Boolean), workflowId };
}

describe('plugin rollout', () => {
  it('deploys a ZIP-PLUGIN to 3 domains, its blue/green phase visible in progress', async () => {
    const domains = ['plug-a', 'plug-b', 'plug-c'];
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name, engineVersion: ENGINE })));
    const { result, seen, workflowId } = await runWatched(pluginInput('analysis-plugin', domains));

    expect(result.outcome).toBe('succeeded');
    expect(result.domains.map((d) => [d.domain, d.state])).toEqual(domains.map((d) => [d, 'current']));
    expect(result.packages).toMatchObject([{ role: 'plugin', packageType: 'ZIP-PLUGIN', change: 'created' }]);
    // The blue/green deployment was seen running, with its stage, for every domain.
    for (const domain of domains) {
      const during = seen
        .flatMap((p) => p.domains)
        .filter((d) => d.domain === domain && d.state === 'blue-green');
      expect(during.length, domain).toBeGreaterThan(0);
      expect(
        during.some((d) => d.deployment?.processing && d.deployment.stage),
        domain,
      ).toBe(true);
    }
    // ...and is over now: the domains take configuration changes again.
    for (const domain of domains) {
      const status = (await stack.aws.opensearch.send(new DescribeDomainCommand({ DomainName: domain })))
        .DomainStatus!;
      expect(status.Processing).toBe(false);
      expect((await rows(domain)).map((r) => [r.PackageType, r.DomainPackageStatus])).toEqual([
        ['ZIP-PLUGIN', 'ACTIVE'],
      ]);
    }
    const creates = (await mutatingCalls()).filter((c) => c.operation === 'CreatePackage');
    expect(creates).toHaveLength(1);
    expect(await recordHistory(stack.client, workflowId, 'plugin-rollout-3-domains')).toBeGreaterThan(0);
  });

  it('refuses a domain on an older engine version before any mutation, naming both versions', async () => {
    await stack.emulator.control.seedDomains([
      { name: 'plug-new', engineVersion: ENGINE },
      { name: 'plug-old', engineVersion: 'OpenSearch_2.17' },
    ]);
    await stack.emulator.control.clearCalls();
    const { handle } = await startPluginRollout(
      stack.client,
      pluginInput('old-engine-plugin', ['plug-new', 'plug-old']),
      {
        taskQueue: stack.taskQueue,
      },
    );
    const err = await handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe(FailureTypes.EngineVersionMismatch);
    expect(failure.message).toContain('OpenSearch_2.19');
    expect(failure.message).toContain('plug-old runs OpenSearch_2.17');
    expect(await mutatingCalls()).toEqual([]);
  });

  it('associates a license + config + plugin bundle in one call per domain, with its prerequisites', async () => {
    const domains = ['bundle-a', 'bundle-b'];
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name, engineVersion: ENGINE })));
    const { result, workflowId } = await runWatched(bundleInput('third-party', domains));
    expect(result.outcome).toBe('succeeded');
    const ids = Object.fromEntries(result.packages.map((p) => [p.role, p.packageId!]));
    const calls = await mutatingCalls();
    expect(calls.filter((c) => c.operation === 'AssociatePackages')).toHaveLength(2);
    expect(calls.filter((c) => c.operation === 'AssociatePackage')).toHaveLength(0);
    for (const domain of domains) {
      const byId = new Map((await rows(domain)).map((r) => [r.PackageID, r]));
      expect(byId.get(ids.plugin!)?.DomainPackageStatus).toBe('ACTIVE');
      expect(byId.get(ids.license!)?.PrerequisitePackageIDList).toEqual([ids.plugin]);
      expect(byId.get(ids.config!)?.PrerequisitePackageIDList).toEqual([ids.plugin]);
      // One deployment for the whole call, completed.
      const progress = await stack.aws.opensearch.send(
        new DescribeDomainChangeProgressCommand({ DomainName: domain }),
      );
      expect(progress.ChangeProgressStatus?.Status).toBe('COMPLETED');
      expect(progress.ChangeProgressStatus?.CompletedProperties).toHaveLength(3);
    }
    await recordHistory(stack.client, workflowId, 'plugin-rollout-bundle');
  });

  it('removes a plugin bundle with DissociatePackages, following the blue/green deployment', async () => {
    const domains = ['rm-a', 'rm-b'];
    await stack.emulator.control.seedDomains(domains.map((name) => ({ name, engineVersion: ENGINE })));
    expect((await runWatched(bundleInput('removable', domains))).result.outcome).toBe('succeeded');

    const { result, seen, workflowId } = await runWatched({
      action: 'remove',
      bundle: {
        plugin: { packageName: 'removable', packageConfiguration: { licenseRequirement: 'REQUIRED' } },
        license: { packageName: 'removable-license' },
        config: { packageName: 'removable-config' },
      },
      staging: { bucket: STAGING_BUCKET },
      domains,
      pollIntervalSeconds: 0.2,
    });
    expect(result.outcome).toBe('succeeded');
    expect(result.domains.map((d) => d.state)).toEqual(['removed', 'removed']);
    expect(seen.flatMap((p) => p.domains).some((d) => d.state === 'blue-green')).toBe(true);
    for (const domain of domains) expect(await rows(domain)).toEqual([]);
    expect((await mutatingCalls()).filter((c) => c.operation === 'DissociatePackages')).toHaveLength(2);
    await recordHistory(stack.client, workflowId, 'plugin-rollout-remove');
  });

  it('says created when its own CreatePackage was applied but its answer lost (found by the chaos suite)', async () => {
    await stack.emulator.control.seedDomains([{ name: 'plug-lost', engineVersion: ENGINE }]);
    // The package is made, then the connection is reset: the resent call finds it already there.
    await stack.emulator.control.addFault({
      service: 'es',
      operation: 'CreatePackage',
      resetAfterProbability: 1,
      remaining: 1,
    });
    const { result } = await runWatched(pluginInput('lost-answer-plugin', ['plug-lost']));
    expect(result.outcome).toBe('succeeded');
    expect(result.packages[0]!.change).toBe('created');
    const creates = (await stack.emulator.control.calls({ operation: 'CreatePackage' })).filter(
      (c) => c.resource?.packageName === 'lost-answer-plugin' || c.fault === 'reset-after',
    );
    expect(creates.some((c) => c.fault === 'reset-after')).toBe(true);
  });

  it('refuses bad input before any AWS call, naming the field', async () => {
    await stack.emulator.control.clearCalls();
    const noEngine = pluginInput('no-engine', ['plug-a']);
    delete noEngine.engineVersion;
    await expect(startPluginRollout(stack.client, noEngine)).rejects.toThrow(/engineVersion: is required/);
    const unlicensed = bundleInput('unlicensed', ['plug-a']);
    delete unlicensed.bundle.license;
    const err = await startPluginRollout(stack.client, unlicensed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).issues).toContainEqual({
      field: 'bundle.license',
      rule: expect.stringMatching(/requires a license/),
    });
    expect(await stack.emulator.control.calls()).toEqual([]);
  });

  it('refuses to start while a configuration change runs on a domain', async () => {
    await stack.emulator.control.seedDomains([{ name: 'busy', engineVersion: ENGINE }]);
    await stack.emulator.control.setDurations({ blueGreenMs: 600_000 });
    // Someone else's plugin deployment, started directly.
    await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: STAGING_BUCKET, Key: 'other.zip', Body: `${ZIP_MAGIC}other` }),
    );
    const other = await stack.aws.opensearch.send(
      new CreatePackageCommand({
        PackageName: 'other-plugin',
        PackageType: 'ZIP-PLUGIN',
        EngineVersion: ENGINE,
        PackageSource: { S3BucketName: STAGING_BUCKET, S3Key: 'other.zip' },
      }),
    );
    await vi.waitFor(async () => {
      await stack.aws.opensearch.send(
        new AssociatePackagesCommand({
          DomainName: 'busy',
          PackageList: [{ PackageID: other.PackageDetails!.PackageID! }],
        }),
      );
    });
    await stack.emulator.control.clearCalls();
    const { handle } = await startPluginRollout(stack.client, pluginInput('late-plugin', ['busy']), {
      taskQueue: stack.taskQueue,
    });
    const failure = ((await handle.result().catch((e: unknown) => e)) as WorkflowFailedError)
      .cause as ApplicationFailure;
    expect(failure.type).toBe(FailureTypes.DomainChangeInProgress);
    expect(failure.message).toContain('busy (Modifying)');
    expect(await mutatingCalls()).toEqual([]);
  });
});

describe('the emulator answers plugin associations as the service model says', () => {
  it('refuses a missing prerequisite and a second configuration change', async () => {
    await stack.emulator.control.seedDomains([{ name: 'model-a', engineVersion: ENGINE }]);
    await stack.emulator.control.setDurations({ blueGreenMs: 600_000 });
    await stack.aws.s3.send(
      new PutObjectCommand({ Bucket: STAGING_BUCKET, Key: 'p.zip', Body: `${ZIP_MAGIC}p` }),
    );
    const create = async (name: string, type: 'ZIP-PLUGIN' | 'PACKAGE-LICENSE') =>
      (
        await stack.aws.opensearch.send(
          new CreatePackageCommand({
            PackageName: name,
            PackageType: type,
            ...(type === 'ZIP-PLUGIN' ? { EngineVersion: ENGINE } : {}),
            PackageSource: { S3BucketName: STAGING_BUCKET, S3Key: 'p.zip' },
          }),
        )
      ).PackageDetails!.PackageID!;
    const plugin = await create('model-plugin', 'ZIP-PLUGIN');
    const license = await create('model-license', 'PACKAGE-LICENSE');
    const associate = (list: Array<{ PackageID: string; PrerequisitePackageIDList?: string[] }>) =>
      stack.aws.opensearch.send(new AssociatePackagesCommand({ DomainName: 'model-a', PackageList: list }));
    await expect(associate([{ PackageID: license, PrerequisitePackageIDList: [plugin] }])).rejects.toThrow(
      /Prerequisite package .* neither associated/,
    );
    // Once both packages are AVAILABLE (copy and validation take a moment), the bundle goes in one call.
    const answer = await vi.waitFor(() =>
      associate([{ PackageID: plugin }, { PackageID: license, PrerequisitePackageIDList: [plugin] }]),
    );
    expect(answer.DomainPackageDetailsList?.map((d) => d.DomainPackageStatus)).toEqual([
      'ASSOCIATING',
      'ASSOCIATING',
    ]);
    const status = (await stack.aws.opensearch.send(new DescribeDomainCommand({ DomainName: 'model-a' })))
      .DomainStatus!;
    expect([status.Processing, status.DomainProcessingStatus]).toEqual([true, 'Modifying']);
    expect(status.ChangeProgressDetails?.ConfigChangeStatus).toBe('ApplyingChanges');
    await expect(associate([{ PackageID: plugin }])).rejects.toThrow(/configuration change in progress/);
  });
});
