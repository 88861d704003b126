/**
 * Publishing the new content: stage the file in S3, create or update the package (or leave it,
 * when its description already names this content), then wait until the version is AVAILABLE.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { commitMessageFor, describeWithMarker } from '../../model/dictionary-rollout.js';
import { RolloutTargetVersion } from '../../model/search-attributes.js';
import { Patches } from '../patches.js';
import {
  callOptions,
  opensearchPackages,
  packageWaitOptions,
  staging,
  stagingHeartbeatOptions,
  stagingOptions,
} from './activities.js';
import { callPriority } from './priority.js';
import type { DictionaryRolloutState, PackageChange } from './state.js';

/** The package's content and version before this run: what a rollback goes back to. */
export interface PreviousContent {
  version?: string;
  sha256?: string;
}

export interface Published {
  packageId: string;
  packageChange: PackageChange;
  previous: PreviousContent | undefined;
}

/** Leaves `state` with the staged object, the package, and the target version. */
export async function publish(state: DictionaryRolloutState): Promise<Published> {
  const { input } = state;
  const options = patched(Patches.stagingHeartbeat) ? stagingHeartbeatOptions : stagingOptions;
  const staged = (state.staged = await staging.stageDictionary.executeWithOptions(
    {
      ...options,
      ...callPriority(state),
      summary: `stage ${input.packageName} in s3://${input.staging.bucket}`,
    },
    [
      {
        source: input.source,
        staging: input.staging,
        packageType: input.packageType,
        // Only when asked for: the input of runs without it stays as it was.
        ...(input.preflight ? { preflight: input.preflight } : {}),
      },
    ],
  ));
  const sha = staged.sha256;
  const description = describeWithMarker(input.description, sha);

  // ---- create, update or leave as it is ----------------------------------------------------
  state.enter('packaging');
  let packageChange: PackageChange = 'unchanged';
  const before = await opensearchPackages.findPackageByName.executeWithOptions(
    { ...callOptions, ...callPriority(state), summary: `find package ${input.packageName}` },
    [{ packageName: input.packageName }],
  );
  const previous = before ? { version: before.availableVersion, sha256: before.contentSha256 } : undefined;
  let pkg = (state.pkg = before ?? undefined);
  if (!pkg) {
    pkg = state.pkg = await opensearchPackages.createPackage.executeWithOptions(
      { ...callOptions, ...callPriority(state), summary: `create package ${input.packageName}` },
      [
        {
          packageName: input.packageName,
          packageType: input.packageType,
          description,
          bucket: staged.bucket,
          key: staged.key,
        },
      ],
    );
    packageChange = 'created';
  }
  /** Set when this run sent UpdatePackage: the wait then insists on a version past this one. */
  let versionBeforeUpdate: string | undefined;
  if (pkg.contentSha256 !== sha || pkg.status === 'VALIDATION_FAILED' || pkg.status === 'COPY_FAILED') {
    const packageId = pkg.packageId;
    versionBeforeUpdate = pkg.availableVersion ?? '';
    pkg = state.pkg = await opensearchPackages.updatePackage.executeWithOptions(
      {
        ...callOptions,
        ...callPriority(state),
        summary: `update package ${packageId} to ${sha.slice(0, 12)}`,
      },
      [
        {
          packageId,
          description,
          commitMessage: commitMessageFor(sha),
          sha256: sha,
          bucket: staged.bucket,
          key: staged.key,
        },
      ],
    );
    if (packageChange !== 'created') packageChange = 'updated';
  }

  // ---- wait until AVAILABLE (polled by activity retry: history stays flat) -----------------
  state.enter('waiting-for-package');
  const packageId = pkg.packageId;
  state.pkg = await opensearchPackages.waitForPackageAvailable.executeWithOptions(
    {
      ...callPriority(state),
      ...packageWaitOptions(input.policy.pollIntervalSeconds),
      summary: `wait until ${packageId} is AVAILABLE`,
    },
    [
      {
        packageId,
        sha256: sha,
        ...(versionBeforeUpdate !== undefined ? { notVersion: versionBeforeUpdate } : {}),
      },
    ],
  );
  state.targetVersion = state.pkg.availableVersion!;
  upsertSearchAttributes([{ key: RolloutTargetVersion, value: state.targetVersion }]);
  return { packageId, packageChange, previous };
}
