/**
 * The invariants, checked from the emulator's state and call log and from Temporal:
 *
 * - every started rollout reaches a terminal state, none stuck (checkAllTerminal);
 * - exactly one package per name, one version per distinct content, one IoT version per release,
 *   one attachment per application and data source, no duplicate S3 objects (per run and global);
 * - every domain a result calls done is ACTIVE at the target version; every domain it calls failed
 *   says why;
 * - nothing the result does not mention was changed: no effective mutating call outside what the
 *   run's result names, and resources no rollout targets (decoys) are exactly as they were.
 */
import type { Client } from '@temporalio/client';
import type { CallRecord, EmulatorStateSnapshot } from '../src/emulator/types.js';
import type { DataSourceAttachmentResult } from '../src/model/data-source-attachment.js';
import type { DictionaryRolloutResult } from '../src/model/dictionary-rollout.js';
import type { IotPackageReleaseResult } from '../src/model/iot-package-release.js';
import type { PackageRemovalResult } from '../src/model/package-removal.js';
import { STAGING_BUCKET, type GatePlan } from './plan.js';
import { whileReachable } from './reachability.js';
import type { Violations } from './violations.js';

export interface RunRecord {
  chain: string;
  step: number;
  kind:
    'dictionaryRollout' | 'packageRemoval' | 'iotPackageRelease' | 'dataSourceAttachment' | 'pluginRollout';
  target: string;
  workflowId: string;
  runId: string;
  /** Wall clock (ISO), for attributing call-log entries to the run. */
  startedAt: string;
  endedAt?: string;
  /** Temporal's final status: COMPLETED, FAILED, ... */
  status?: string;
  result?: unknown;
  failure?: { type: string; message: string };
  domains: string[];
  /** Domains set up to fail (ASSOCIATION_FAILED); any other failure comes from the chaos itself. */
  failingDomains: string[];
  expectChange?: string;
  /** Verified rollouts: the token every probe must give for `car` with the new content. */
  verifyToken?: string;
  /** Gated rollouts: the plan of the run's gates and notifications, and its receiver key. */
  gates?: GatePlan & { key: string };
  pluginAction?: 'install' | 'remove';
}

/** A call that changed something (or may have: its response was lost). */
export function effective(c: CallRecord): boolean {
  // A reset after the change was applied is logged with HTTP status 0: the change stands.
  return (
    c.mutating &&
    (c.fault === 'reset-after' || c.fault === 'lost-response' || (c.httpStatus > 0 && c.httpStatus < 400))
  );
}

/** A domain the run says it worked on: every state but skipped and not started. */
export function workedOn(d: { state: string }): boolean {
  return d.state !== 'skipped' && d.state !== 'not-started';
}

/** A call made while the run was open (calls are attributed to runs by when they arrived). */
export function inWindow(c: CallRecord, r: RunRecord): boolean {
  return c.realAt >= r.startedAt && (!r.endedAt || c.realAt <= r.endedAt);
}

const DONE_STATES = new Set(['current', 'skipped']);
const UNFINISHED_STATES = new Set(['pending', 'associating', 'rolling-back']);

function packagesNamed(state: EmulatorStateSnapshot, name: string) {
  return state.opensearch.packages.filter((p) => p.name === name && !/DELET/.test(p.status));
}

function availableVersions(state: EmulatorStateSnapshot, name: string) {
  return packagesNamed(state, name).flatMap((p) => p.versions.filter((v) => v.state === 'available'));
}

/** Versions made, whether AWS is still copying / validating them or done. */
function versionsMade(state: EmulatorStateSnapshot, name: string) {
  return packagesNamed(state, name).flatMap((p) => p.versions.filter((v) => v.state !== 'failed'));
}

function association(state: EmulatorStateSnapshot, domain: string, packageId: string) {
  return state.opensearch.domains
    .find((d) => d.name === domain)
    ?.associations.find((a) => a.packageId === packageId);
}

function hasResult<T>(result: T | undefined, r: RunRecord, where: string, v: Violations): result is T {
  return v.check(
    'a rollout that ran has a result',
    result !== undefined,
    () => `${where}: ended ${r.status} ${r.failure?.type}: ${r.failure?.message}`,
  );
}

export function checkFailureSaysWhy(r: RunRecord, v: Violations): void {
  if (r.status === 'COMPLETED' || r.status === undefined) return; // undefined: still open, reported as stuck
  v.check(
    'every failure says why',
    Boolean(r.failure?.type && r.failure.message),
    () => `${r.workflowId} (${r.runId}) ended ${r.status} without a reason`,
  );
}

export function checkDictionaryRun(
  r: RunRecord,
  before: EmulatorStateSnapshot,
  after: EmulatorStateSnapshot,
  calls: CallRecord[],
  v: Violations,
  republished: ReadonlySet<string> = new Set(),
): void {
  const where = `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;
  v.check(
    'one package per name',
    packagesNamed(after, r.target).length === 1,
    () => `${where}: ${packagesNamed(after, r.target).length} packages named ${r.target}`,
  );
  const result = r.result as DictionaryRolloutResult | undefined;
  if (result === undefined) {
    // A run that ends without a result must not have changed the package or any domain.
    const made = versionsMade(after, r.target).length - versionsMade(before, r.target).length;
    v.check(
      'nothing the result does not mention was changed',
      made === 0,
      () =>
        `${where}: ended ${r.failure?.type} (${r.failure?.message}) with no result, yet ${made} new version(s) of ${r.target} were made`,
    );
    const ids = new Set(packagesNamed(after, r.target).map((p) => p.id));
    const changes = calls.filter(
      (c) => effective(c) && inWindow(c, r) && c.service === 'es' && ids.has(c.resource?.packageId ?? ''),
    );
    v.check(
      'nothing the result does not mention was changed',
      changes.length === 0,
      () =>
        `${where}: ended with no result after ${changes.map((c) => `${c.operation}${c.fault ? ` (${c.fault})` : ''} seq ${c.seq}`).join(', ')}`,
    );
  }
  if (!hasResult(result, r, where, v)) return;
  const added = versionsMade(after, r.target).length - versionsMade(before, r.target).length;
  // A rollback that put domains back republished the previous content: one more version, by design.
  const rolledBack = republished.has(`${r.target} ${result.targetVersion}`) ? 1 : 0;
  const expected = (result.packageChange === 'unchanged' ? 0 : 1) + rolledBack;
  v.check(
    'one version per distinct content',
    added === expected,
    () => `${where}: packageChange ${result.packageChange} but ${added} version(s) were added`,
  );
  if (r.expectChange)
    v.check(
      'one version per distinct content',
      result.packageChange === r.expectChange,
      () => `${where}: expected packageChange ${r.expectChange}, got ${result.packageChange}`,
    );
  const pkg = packagesNamed(after, r.target)[0];
  v.check(
    "the target version is the package's available version",
    pkg?.availableVersion === result.targetVersion,
    () => `${where}: result says ${result.targetVersion}, package has ${pkg?.availableVersion}`,
  );
  const shas = availableVersions(after, r.target)
    .filter((x) => !republished.has(`${r.target} ${x.version}`))
    .map((x) => x.sha256);
  v.check(
    'one version per distinct content',
    new Set(shas).size === shas.length,
    () => `${where}: versions share content: ${shas.join(', ')}`,
  );
  v.check(
    'the result names every target domain',
    JSON.stringify(result.domains.map((d) => d.domain).sort()) === JSON.stringify([...r.domains].sort()),
    () =>
      `${where}: result domains ${result.domains.map((d) => d.domain).join(',')} vs input ${r.domains.join(',')}`,
  );
  for (const d of result.domains) {
    if (DONE_STATES.has(d.state)) {
      const a = association(after, d.domain, result.packageId);
      v.check(
        'every domain called done is ACTIVE at the target version',
        a?.status === 'ACTIVE' && a.packageVersion === result.targetVersion,
        () =>
          `${where}: ${d.domain} is ${d.state} in the result but ${a ? `${a.status} at ${a.packageVersion}` : 'not associated'} (target ${result.targetVersion})`,
      );
    } else if (d.state === 'failed' || d.state === 'rollback-failed') {
      v.check(
        'every domain called failed says why',
        Boolean(d.error?.type && d.error.message),
        () => `${where}: ${d.domain} failed without a reason`,
      );
      v.check(
        'transient faults never fail a domain',
        r.failingDomains.includes(d.domain),
        () => `${where}: ${d.domain} failed: ${d.error?.type}: ${d.error?.message}`,
      );
    }
    v.check(
      'a finished rollout has no unfinished domain',
      !UNFINISHED_STATES.has(d.state),
      () => `${where}: ${d.domain} is still ${d.state} in a finished run's result`,
    );
  }
  // Nothing the result does not mention: associations only where the result says it worked on.
  const touched = new Set(result.domains.filter(workedOn).map((d) => d.domain));
  for (const c of calls.filter(
    (c) =>
      effective(c) && inWindow(c, r) && c.resource?.packageId === result.packageId && c.resource.domainName,
  ))
    v.check(
      'nothing the result does not mention was changed',
      touched.has(c.resource!.domainName!),
      () =>
        `${where}: ${c.operation} on ${c.resource!.domainName} (seq ${c.seq}) which the result calls ${result.domains.find((d) => d.domain === c.resource!.domainName)?.state ?? 'nothing'}`,
    );
  // The staged object: content-addressed, once.
  const bucket = after.s3.buckets.find((b) => b.name === result.stagedObject.bucket);
  const objects = bucket?.objects.filter((o) => o.sha256 === result.contentSha256) ?? [];
  v.check(
    'no duplicate S3 objects',
    objects.length === 1 && objects[0]!.key === result.stagedObject.key,
    () =>
      `${where}: ${objects.length} staged object(s) with sha256 ${result.contentSha256}: ${objects.map((o) => o.key).join(', ')}`,
  );
}

export function checkRemovalRun(
  r: RunRecord,
  after: EmulatorStateSnapshot,
  calls: CallRecord[],
  v: Violations,
): void {
  const where = `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;
  const result = r.result as PackageRemovalResult | undefined;
  if (!hasResult(result, r, where, v)) return;
  const id = result.packageId;
  for (const d of result.domains) {
    if (d.state === 'dissociated' || d.state === 'not-associated')
      v.check(
        'every domain called done is dissociated',
        !id || !association(after, d.domain, id),
        () => `${where}: ${d.domain} is ${d.state} in the result but still associated`,
      );
    else if (d.state === 'failed') {
      v.check(
        'every domain called failed says why',
        Boolean(d.error?.type && d.error.message),
        () => `${where}: ${d.domain} failed without a reason`,
      );
      v.check(
        'transient faults never fail a domain',
        r.failingDomains.includes(d.domain),
        () => `${where}: dissociation from ${d.domain} failed: ${d.error?.type}: ${d.error?.message}`,
      );
    } else
      v.check(
        'a finished rollout has no unfinished domain',
        false,
        () => `${where}: ${d.domain} is still ${d.state}`,
      );
  }
  if (result.packageDeletion === 'deleted' || result.packageDeletion === 'already-deleted')
    v.check(
      'a deleted package is gone',
      packagesNamed(after, r.target).length === 0,
      () => `${where}: result says ${result.packageDeletion} but the package is still there`,
    );
  const named = new Set(result.domains.filter((d) => d.state !== 'not-associated').map((d) => d.domain));
  for (const c of calls.filter((c) => effective(c) && inWindow(c, r) && id && c.resource?.packageId === id)) {
    if (c.operation === 'DeletePackage')
      v.check(
        'nothing the result does not mention was changed',
        result.packageDeletion === 'deleted' || result.packageDeletion === 'already-deleted',
        () => `${where}: DeletePackage although the result says ${result.packageDeletion}`,
      );
    else if (c.resource?.domainName)
      v.check(
        'nothing the result does not mention was changed',
        named.has(c.resource.domainName),
        () => `${where}: ${c.operation} on ${c.resource!.domainName}, not named by the result`,
      );
  }
}

export function checkIotRun(
  r: RunRecord,
  after: EmulatorStateSnapshot,
  releasedSoFar: Set<string>,
  calls: CallRecord[],
  v: Violations,
): void {
  const where = `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;
  const result = r.result as IotPackageReleaseResult | undefined;
  if (!hasResult(result, r, where, v)) return;
  const pkg = after.iot.packages.find((p) => p.name === r.target);
  const versionNames = pkg?.versions.map((x) => x.versionName) ?? [];
  v.check(
    'one IoT version per release',
    versionNames.length === releasedSoFar.size && versionNames.every((n) => releasedSoFar.has(n)),
    () => `${where}: versions ${versionNames.join(', ')} for releases ${[...releasedSoFar].join(', ')}`,
  );
  const version = pkg?.versions.find((x) => x.versionName === result.versionName);
  v.check(
    'every release called done is in AWS as the result says',
    version?.status === result.versionStatus,
    () => `${where}: result ${result.versionStatus}, AWS ${version?.status ?? 'no such version'}`,
  );
  if (result.defaultVersionName !== undefined)
    v.check(
      'every release called done is in AWS as the result says',
      pkg?.defaultVersionName === result.defaultVersionName,
      () => `${where}: default ${pkg?.defaultVersionName} vs result ${result.defaultVersionName}`,
    );
  for (const name of result.steps.deprecated)
    v.check(
      'every release called done is in AWS as the result says',
      pkg?.versions.find((x) => x.versionName === name)?.status === 'DEPRECATED',
      () => `${where}: ${name} deprecated by the result but not in AWS`,
    );
  const mentioned = new Set([result.versionName, ...result.steps.deprecated]);
  for (const c of calls.filter(
    (c) =>
      effective(c) &&
      inWindow(c, r) &&
      c.service === 'iot' &&
      c.resource?.packageName === r.target &&
      c.resource.versionName,
  ))
    v.check(
      'nothing the result does not mention was changed',
      mentioned.has(c.resource!.versionName!),
      () => `${where}: ${c.operation} on version ${c.resource!.versionName}, not named by the result`,
    );
  if (r.expectChange === 'unchanged')
    v.check(
      'a re-run changes nothing',
      result.outcome === 'unchanged',
      () => `${where}: re-run outcome ${result.outcome}`,
    );
}

export function checkAttachRun(
  r: RunRecord,
  after: EmulatorStateSnapshot,
  applicationId: string,
  dataSourceArn: string,
  v: Violations,
): void {
  const where = `${r.chain} step ${r.step} (${r.workflowId}, run ${r.runId})`;
  const result = r.result as DataSourceAttachmentResult | undefined;
  const attachments = after.opensearch.attachments.filter(
    (a) => a.applicationId === applicationId && a.dataSourceArn === dataSourceArn,
  );
  v.check(
    'one attachment per pair',
    attachments.length === 1,
    () => `${where}: ${attachments.length} attachments of ${dataSourceArn} to ${applicationId}`,
  );
  if (!hasResult(result, r, where, v)) return;
  v.check(
    'every attachment called done is ATTACHED',
    attachments[0]?.status === 'ATTACHED' && attachments[0].attachmentId === result.attachmentId,
    () =>
      `${where}: result ${result.attachmentId} ATTACHED, AWS ${attachments.map((a) => `${a.attachmentId} ${a.status}`).join(', ')}`,
  );
}

/** Global state checks after the run. */
export function checkGlobalState(
  state: EmulatorStateSnapshot,
  v: Violations,
  republished: ReadonlySet<string> = new Set(),
): void {
  const names = new Map<string, number>();
  for (const p of state.opensearch.packages.filter((p) => !/DELET/.test(p.status)))
    names.set(p.name, (names.get(p.name) ?? 0) + 1);
  for (const [name, n] of names)
    v.check('one package per name', n === 1, () => `${n} packages named ${name}`);
  for (const p of state.opensearch.packages) {
    const shas = p.versions
      .filter((x) => x.state === 'available' && !republished.has(`${p.name} ${x.version}`))
      .map((x) => x.sha256);
    v.check(
      'one version per distinct content',
      new Set(shas).size === shas.length,
      () => `${p.name}: versions share content`,
    );
  }
  for (const b of state.s3.buckets.filter((b) => b.name === STAGING_BUCKET)) {
    const shas = b.objects.map((o) => o.sha256);
    v.check(
      'no duplicate S3 objects',
      new Set(shas).size === shas.length,
      () => `${b.name}: ${shas.length - new Set(shas).size} duplicate object(s)`,
    );
    for (const o of b.objects)
      v.check(
        'no duplicate S3 objects',
        o.key.includes(o.sha256),
        () => `${b.name}/${o.key} is not named after its content (${o.sha256})`,
      );
  }
  const pairs = new Map<string, number>();
  for (const a of state.opensearch.attachments)
    pairs.set(
      `${a.applicationId} ${a.dataSourceArn}`,
      (pairs.get(`${a.applicationId} ${a.dataSourceArn}`) ?? 0) + 1,
    );
  for (const [pair, n] of pairs)
    v.check('one attachment per pair', n === 1, () => `${n} attachments for ${pair}`);
  for (const d of state.opensearch.domains)
    for (const a of d.associations)
      v.check(
        'no association is left half-applied',
        a.status === 'ACTIVE' || a.status === 'ASSOCIATION_FAILED',
        () => `${d.name}: ${a.packageName} is ${a.status} after every rollout ended`,
      );
}

/** Every run the suite started has ended, and Temporal lists nothing still running on its queue. */
export async function checkAllTerminal(
  client: Client,
  runs: RunRecord[],
  taskQueue: string,
  v: Violations,
): Promise<string[]> {
  const open: string[] = [];
  for (const r of runs) {
    const status = await whileReachable(
      'describe',
      async () => (await client.workflow.getHandle(r.workflowId, r.runId).describe()).status.name,
    );
    if (
      !v.check(
        'every started rollout reaches a terminal state',
        status !== 'RUNNING',
        () => `${r.workflowId} (run ${r.runId}) is still RUNNING`,
      )
    )
      open.push(r.workflowId);
  }
  const running = await whileReachable('count', () =>
    client.workflow.count(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`),
  );
  v.check(
    'every started rollout reaches a terminal state',
    running.count === 0,
    () => `${running.count} workflow(s) still running on ${taskQueue}`,
  );
  return open;
}
