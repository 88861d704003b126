import { setCurrentDetails } from '@temporalio/workflow';
import type { StagedObject } from '../../activities/s3.js';
import type {
  DictionaryRolloutParams,
  DictionaryRolloutPlan,
  DictionaryRolloutProgress,
  DictionaryRolloutResult,
  DomainOutcome,
  DomainState,
  RolloutOutcome,
  RolloutPhase,
} from '../../model/dictionary-rollout.js';
import { FailureTypes } from '../../model/failures.js';
import type { GateFailure } from '../../model/health-gates.js';
import {
  referencePathOf,
  type AssociationStatus,
  type PackageSummary,
} from '../../model/opensearch-packages.js';
import { countVerifications, verificationLine, type VerificationCounts } from '../../model/verification.js';
import type { RolloutStatusValue } from '../../model/search-attributes.js';
import type { ApproveWaveArgs } from '../../model/dictionary-rollout.js';
import { isFleet, placeRefOf, resolveTarget, type ResolvedTarget } from '../../model/fleet.js';
import { Notifier } from '../notifier.js';
import { placeOutcomes, placesDetails, type PlaceRun } from './fleet/place-run.js';
import { publishStatus } from '../search-attributes.js';
import { budgetWaitLine } from '../call-priority.js';

export type PackageChange = DictionaryRolloutResult['packageChange'];

/**
 * Everything a dictionary rollout knows while it runs: its phase, the package and version, the
 * waves, the gate and pause flags, and one outcome per domain. The message handlers read and set
 * it, the steps move it on, and `report` publishes it (Web UI details and search attributes).
 */
export class DictionaryRolloutState {
  readonly startedAt = Date.now();
  phase: RolloutPhase = 'staging';
  paused = false;
  /** Waves are numbered from 1 for people; wave 1 never waits, so it starts approved. */
  approvedThrough = 1;
  awaitingApproval = false;
  /** 0-based index of the wave under way. */
  currentWave = 0;
  waves: string[][] = [];
  pkg: PackageSummary | undefined;
  /**
   * The version domains are moved to: the new content's once AVAILABLE; after a rollback has
   * republished the previous content, that version (what the package's domains should now be at).
   */
  targetVersion: string | undefined;
  staged: StagedObject | undefined;
  /** Cancellation is graceful: start nothing new, let in-flight domains finish, apply the policy. */
  cancelRequested = false;
  /** Keyed by target key (a plain name, or `<place>:<domain>` for fleets: model/fleet.ts). */
  readonly outcomes: Map<string, DomainOutcome>;
  /** Fleets: each target's domain name and place, by target key; and the per-place package work. */
  readonly targets: Map<string, ResolvedTarget>;
  readonly fleet: boolean;
  readonly places = new Map<string, PlaceRun>();
  /** Health gates that failed (gates.ts), and when a bake under way ends. */
  readonly gateFailures: GateFailure[] = [];
  bakeUntil: number | undefined;
  readonly notifier: Notifier;

  constructor(readonly input: DictionaryRolloutParams) {
    this.targets = new Map(input.domains.map((t) => [resolveTarget(t).key, resolveTarget(t)]));
    this.fleet = isFleet(input.domains);
    this.outcomes = new Map(
      [...this.targets.values()].map((t): [string, DomainOutcome] => [
        t.key,
        t.place
          ? { domain: t.domain, target: t.key, place: placeRefOf(t.place), state: 'pending', wave: -1 }
          : { domain: t.domain, state: 'pending', wave: -1 },
      ]),
    );
    this.notifier = new Notifier(input.notifications);
  }

  outcome(domain: string): DomainOutcome {
    return this.outcomes.get(domain)!;
  }

  count(...states: DomainState[]): number {
    return [...this.outcomes.values()].filter((o) => states.includes(o.state)).length;
  }

  /** Enter a phase and publish it. */
  enter(phase: RolloutPhase): void {
    this.phase = phase;
    this.report();
  }

  // ---- messages ----------------------------------------------------------------------------

  progress(): DictionaryRolloutProgress {
    return {
      phase: this.phase,
      packageName: this.input.packageName,
      packageId: this.pkg?.packageId,
      targetVersion: this.targetVersion,
      contentSha256: this.staged?.sha256,
      waves: this.waves,
      currentWave: this.currentWave,
      paused: this.paused,
      awaitingApproval: this.awaitingApproval,
      domains: [...this.outcomes.values()],
      ...(this.gateFailures.length ? { gateFailures: [...this.gateFailures] } : {}),
      ...(this.bakeUntil !== undefined ? { bakeUntil: this.bakeUntil } : {}),
      ...(this.fleet ? { places: placeOutcomes(this) } : {}),
    };
  }

  plan(): DictionaryRolloutPlan {
    return {
      packageId: this.pkg?.packageId,
      targetVersion: this.targetVersion,
      waves: this.waves,
      skipped: [...this.outcomes.values()]
        .filter((o) => o.state === 'skipped')
        .map((o) => o.target ?? o.domain),
    };
  }

  /** Why an approval is refused, or undefined: the update's validator and the signal share it. */
  approvalProblem(arg?: ApproveWaveArgs): string | undefined {
    if (!this.input.policy.approvalBetweenWaves)
      return 'this rollout does not wait for approval between waves';
    if (arg?.wave !== undefined && (!Number.isInteger(arg.wave) || arg.wave < 1))
      return 'wave must be a whole number >= 1';
    return undefined;
  }

  approve(arg?: ApproveWaveArgs): number {
    this.approvedThrough = Math.max(this.approvedThrough, arg?.wave ?? this.currentWave + 1);
    return this.approvedThrough;
  }

  setPaused(value: boolean): void {
    this.paused = value;
    this.report();
  }

  // ---- domains -----------------------------------------------------------------------------

  /** A domain's association settled (current, failed, or past its deadline): recorded as read. */
  recordAssociation(status: AssociationStatus, key = status.domain): void {
    const o = this.outcome(key);
    o.state = status.outcome === 'current' ? 'current' : 'failed';
    o.version = status.version;
    if (status.referencePath) o.referencePath = status.referencePath;
    o.finishedAt = Date.now();
    if (status.error) o.error = status.error;
    else delete o.error;
  }

  /** A domain of the rollback settled: put back (at `version`, if it has one) or not, and why. */
  recordRollback(o: DomainOutcome, ok: boolean, message?: string, version?: string): void {
    o.state = ok ? 'rolled-back' : 'rollback-failed';
    o.version = ok ? version : o.version;
    o.finishedAt = Date.now();
    if (!ok) o.error = { type: FailureTypes.RollbackFailed, message: message ?? 'rollback failed' };
    this.report();
  }

  /** Pending domains never reached: halted, cancelled or a dry run. */
  markUnreached(): void {
    for (const o of this.outcomes.values()) if (o.state === 'pending') o.state = 'not-started';
  }

  // ---- publishing ------------------------------------------------------------------------------

  /** The Web UI's current details, and the status search attributes (`status` when it ends). */
  report(status?: RolloutStatusValue): void {
    const count = this.count.bind(this);
    const failed = count('failed', 'rollback-failed');
    const { waves, currentWave, paused, awaitingApproval, pkg, targetVersion } = this;
    setCurrentDetails(
      [
        `**${this.phase}**${paused ? ' (paused)' : ''}${awaitingApproval ? ` — waiting for approval of wave ${currentWave + 1}` : ''}`,
        '',
        `package \`${this.input.packageName}\`${pkg ? ` ${pkg.packageId}` : ''}${targetVersion ? ` → **${targetVersion}**` : ''}`,
        '',
        '| current | skipped | associating | failed | pending | rolled back |',
        '|---|---|---|---|---|---|',
        `| ${count('current')} | ${count('skipped')} | ${count('associating')} | ${failed} | ${count('pending', 'not-started')} | ${count('rolled-back')} |`,
        this.input.verification ? verificationLine(this.verificationCounts()) : '',
        waves.length ? `\nwave ${Math.min(currentWave + 1, waves.length)} of ${waves.length}` : '',
        ...(this.fleet ? [placesDetails(this)] : []),
        ...this.gateFailures.map(
          (g) =>
            `\n**gate failed** (${g.gate}${g.alarm ? ` \`${g.alarm}\`` : ''}${g.webhook ? ` \`${g.webhook}\` ${g.url ?? ''}` : ''}, ${g.wave < 0 ? 'before wave 1' : `after wave ${g.wave + 1}`}): ${g.reason}`,
        ),
        this.phase === 'done'
          ? ''
          : `\n${budgetWaitLine(this.input.priority, this.phase === 'rolling-back' ? 'cleanup' : 'calls')}`,
      ].join('\n'),
    );
    if (status) publishStatus(status, failed);
    else if (paused) publishStatus('paused', failed);
    else if (awaitingApproval) publishStatus('waiting-for-approval', failed);
    else publishStatus('running', failed);
  }

  verificationCounts(): VerificationCounts {
    return countVerifications([...this.outcomes.values()].map((o) => o.verification));
  }

  /** How the run ended, from where its domains stand (`failed`: domains failed before any rollback). */
  finalOutcome(packageChange: PackageChange, failed: number): Exclude<RolloutOutcome, 'dry-run'> {
    const count = this.count.bind(this);
    if (this.cancelRequested) return 'cancelled';
    if (count('rolled-back', 'rollback-failed') > 0) return 'rolled-back';
    if (failed > 0) return count('current') + count('skipped') > 0 ? 'partial' : 'failed';
    return packageChange === 'unchanged' && count('current') === 0 ? 'unchanged' : 'succeeded';
  }

  result(outcome: RolloutOutcome, packageChange: PackageChange): DictionaryRolloutResult {
    const count = this.count.bind(this);
    const { pkg, staged } = this;
    return {
      outcome,
      packageName: this.input.packageName,
      packageId: pkg?.packageId ?? '',
      targetVersion: this.targetVersion ?? '',
      // AWS's own ReferencePath where a domain reported one; the documented form otherwise.
      referencePath:
        [...this.outcomes.values()].find((o) => o.referencePath)?.referencePath ??
        (pkg ? referencePathOf(pkg.packageId) : ''),
      contentSha256: staged?.sha256 ?? '',
      packageChange,
      stagedObject: staged
        ? { bucket: staged.bucket, key: staged.key, sizeBytes: staged.sizeBytes }
        : { bucket: '', key: '', sizeBytes: 0 },
      waves: this.waves.length,
      counts: {
        current: count('current'),
        skipped: count('skipped'),
        failed: count('failed', 'rollback-failed'),
        notStarted: count('not-started', 'pending'),
        rolledBack: count('rolled-back'),
      },
      domains: [...this.outcomes.values()],
      ...(this.input.verification ? { verification: this.verificationCounts() } : {}),
      startedAt: this.startedAt,
      finishedAt: Date.now(),
      notes: [
        `Indexes read a new dictionary version only after POST <index>/_plugins/_refresh_search_analyzers (updateable analyzers, OpenSearch / Elasticsearch >= 7.8) or a close and reopen of the index.`,
      ],
      ...(this.gateFailures.length ? { gateFailures: [...this.gateFailures] } : {}),
      ...(this.fleet ? { places: placeOutcomes(this) } : {}),
    };
  }
}
