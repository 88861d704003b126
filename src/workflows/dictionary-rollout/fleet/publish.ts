/**
 * Fleets: the file is staged once (with the pre-flight check) in `staging.bucket`, then placed in
 * each other place's staging bucket by a server-side S3 copy, and each place's package is created
 * or updated with the same content marker and waited for until AVAILABLE. Places are prepared side
 * by side; a place that fails (role not assumable, quota, COPY_FAILED...) fails only its domains.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { Patches } from '../../patches.js';
import { commitMessageFor, describeWithMarker } from '../../../model/dictionary-rollout.js';
import { RolloutRegions } from '../../../model/search-attributes.js';
import { errorSummary } from '../../failures.js';
import { packageWaitOptions, staging, stagingHeartbeatOptions } from '../activities.js';
import { callPriority, fleetCallPriority } from '../priority.js';
import type { Published } from '../publish.js';
import type { DictionaryRolloutState, PackageChange } from '../state.js';
import { fleetCallOptions, fleetCalls, placePackages } from './activities.js';
import { at, joinOwnPlace, placeRuns, type PlaceRun } from './place-run.js';

export async function publishFleet(state: DictionaryRolloutState): Promise<Published> {
  const { input } = state;
  const runs = placeRuns(state);
  const regions = [...new Set(runs.flatMap((r) => (r.place ? [r.place.region] : [])))];
  upsertSearchAttributes([{ key: RolloutRegions, value: regions }]);
  state.staged = await staging.stageDictionary.executeWithOptions(
    {
      ...stagingHeartbeatOptions,
      ...callPriority(state),
      summary: `stage ${input.packageName} in s3://${input.staging.bucket}`,
    },
    [
      {
        source: input.source,
        staging: { bucket: input.staging.bucket, prefix: input.staging.prefix },
        packageType: input.packageType,
        ...(input.preflight ? { preflight: input.preflight } : {}),
      },
    ],
  );
  // A place naming the worker's own Region (no role) is its own place when plain names are here too.
  const ownRegion = state.staged.region;
  if (ownRegion && patched(Patches.fleetOwnRegion)) joinOwnPlace(state, ownRegion);
  const prepared = placeRuns(state);
  state.enter('packaging');
  await Promise.all(prepared.map((run) => preparePlace(state, run)));
  state.enter('waiting-for-package');
  const first = prepared.find((r) => r.pkg && r.targetVersion);
  state.pkg = first?.pkg;
  state.targetVersion = first?.targetVersion;
  const changes = new Set(prepared.map((r) => r.packageChange));
  const packageChange: PackageChange = changes.has('created')
    ? 'created'
    : changes.has('updated')
      ? 'updated'
      : 'unchanged';
  state.report();
  return { packageId: first?.pkg?.packageId ?? '', packageChange, previous: first?.previous };
}

/** One place: copy, find, (quota, create), (update), wait. Failures end the place, not the run. */
async function preparePlace(state: DictionaryRolloutState, run: PlaceRun): Promise<void> {
  const { input } = state;
  const sha = state.staged!.sha256;
  const description = describeWithMarker(input.description, sha);
  const opts = (summary: string) => ({
    ...fleetCallOptions,
    ...fleetCallPriority(state, run.place),
    summary: `${run.key}: ${summary}`,
  });
  try {
    run.staged = run.place
      ? await fleetCalls.placeStagedObject.executeWithOptions(
          opts(`copy the staged file to s3://${run.bucket}`),
          [
            {
              ...at(run),
              source: { bucket: state.staged!.bucket, key: state.staged!.key },
              bucket: run.bucket,
              sha256: sha,
            },
          ],
        )
      : { bucket: state.staged!.bucket, key: state.staged!.key };
    const before = await placePackages.findPackageByName.executeWithOptions(
      opts(`find package ${input.packageName}`),
      [{ ...at(run), packageName: input.packageName }],
    );
    run.previous = before ? { version: before.availableVersion, sha256: before.contentSha256 } : undefined;
    let pkg = before ?? undefined;
    if (!pkg) {
      await fleetCalls.checkPackageQuota.executeWithOptions(opts('check the 25-package quota'), [
        { ...at(run), packageName: input.packageName },
      ]);
      pkg = await placePackages.createPackage.executeWithOptions(
        opts(`create package ${input.packageName}`),
        [
          {
            ...at(run),
            packageName: input.packageName,
            packageType: input.packageType,
            description,
            bucket: run.staged.bucket,
            key: run.staged.key,
          },
        ],
      );
      run.packageChange = 'created';
    }
    run.pkg = pkg;
    let notVersion: string | undefined;
    if (pkg.contentSha256 !== sha || pkg.status === 'VALIDATION_FAILED' || pkg.status === 'COPY_FAILED') {
      notVersion = pkg.availableVersion ?? '';
      run.pkg = pkg = await placePackages.updatePackage.executeWithOptions(
        opts(`update package ${pkg.packageId} to ${sha.slice(0, 12)}`),
        [
          {
            ...at(run),
            packageId: pkg.packageId,
            description,
            commitMessage: commitMessageFor(sha),
            sha256: sha,
            bucket: run.staged.bucket,
            key: run.staged.key,
          },
        ],
      );
      if (run.packageChange !== 'created') run.packageChange = 'updated';
    }
    run.pkg = await placePackages.waitForPackageAvailable.executeWithOptions(
      {
        ...fleetCallPriority(state, run.place),
        ...packageWaitOptions(input.policy.pollIntervalSeconds),
        summary: `${run.key}: wait until ${pkg.packageId} is AVAILABLE`,
      },
      [
        {
          ...at(run),
          packageId: pkg.packageId,
          sha256: sha,
          ...(notVersion !== undefined ? { notVersion } : {}),
        },
      ],
    );
    run.targetVersion = run.pkg.availableVersion!;
  } catch (err) {
    run.error = errorSummary(err);
    for (const key of run.targets) {
      const o = state.outcome(key);
      o.state = 'failed';
      o.error = run.error;
      o.finishedAt = Date.now();
    }
  }
}
