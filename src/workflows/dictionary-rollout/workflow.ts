/**
 * The dictionary rollout workflow (`dictionaryRollout`): stage the file in S3, create or update
 * the package, wait until AVAILABLE, then associate it domain by domain, in waves with bounded
 * concurrency, until each domain is ACTIVE at the new version; the failure policy decides what
 * happens after a failure. This file wires the messages to the state and runs the steps in order;
 * each step is a file of this folder.
 */
import { ApplicationFailure, CancellationScope, log, setHandler } from '@temporalio/workflow';
import {
  dictionaryRolloutInput,
  type DictionaryRolloutParams,
  type DictionaryRolloutResult,
} from '../../model/dictionary-rollout.js';
import { FailureTypes } from '../../model/failures.js';
import { parseWorkflowInput, surfaceActivityFailure, updateRefused } from '../failures.js';
import { dictionaryRolloutMessages as messages } from '../messages.js';
import { WorkflowTypes } from '../../model/constants.js';
import { publishIdentity, publishStatus } from '../search-attributes.js';
import { checkBeforeFirstWave, gatesApply } from './gates.js';
import { planRollout } from './plan.js';
import { publish } from './publish.js';
import { rollback } from './rollback.js';
import { DictionaryRolloutState } from './state.js';
import { runWaves } from './waves.js';
import { fleetPath } from './fleet/path.js';
import { targetKey } from '../../model/fleet.js';

export async function dictionaryRollout(rawInput: unknown): Promise<DictionaryRolloutResult> {
  const input: DictionaryRolloutParams = parseWorkflowInput(
    dictionaryRolloutInput,
    rawInput,
    'dictionaryRollout input',
  );
  publishIdentity(WorkflowTypes.dictionaryRollout, input);
  const state = new DictionaryRolloutState(input);
  // Cancellation is graceful: the steps run in a non-cancellable scope and watch this flag, so a
  // cancel starts nothing new, lets in-flight domains finish, then applies the failure policy.
  CancellationScope.current().cancelRequested.catch(() => {
    state.cancelRequested = true;
  });
  handleMessages(state);
  state.report('running');

  return CancellationScope.nonCancellable(() => roll(state)).catch((err: unknown) => {
    // Failures that carry a result already published their status; anything else is a plain failure.
    const published: string[] = [FailureTypes.RolloutFailed, FailureTypes.RolloutCancelled];
    if (!(err instanceof ApplicationFailure && published.includes(err.type ?? ''))) publishStatus('failed');
    throw surfaceActivityFailure(err);
  });
}

function handleMessages(state: DictionaryRolloutState): void {
  setHandler(messages.progress, () => state.progress());
  setHandler(messages.plan, () => state.plan());
  setHandler(messages.approve, (arg) => state.approve(arg), {
    validator: (arg) => {
      const problem = state.approvalProblem(arg);
      // The update is refused (type UpdateRefused), the run is untouched.
      if (problem) throw updateRefused(problem);
    },
  });
  // A signal cannot be refused: a bad one is logged and ignored, so that e.g. a wave of "2" (a
  // string from another SDK) cannot poison approvedThrough with NaN and hold the gate for ever.
  setHandler(messages.approveSignal, (arg) => {
    const problem = state.approvalProblem(arg);
    if (problem) log.warn(`approve signal ignored: ${problem}`, { arg });
    else state.approve(arg);
  });
  setHandler(messages.pause, () => state.setPaused(true));
  setHandler(messages.resume, () => state.setPaused(false));
  setHandler(messages.pauseSignal, () => state.setPaused(true));
  setHandler(messages.resumeSignal, () => state.setPaused(false));
}

async function roll(state: DictionaryRolloutState): Promise<DictionaryRolloutResult> {
  const { input } = state;
  const { policy } = input;
  const pkgFields = { package: input.packageName };
  state.notifier.emit(
    'started',
    `rollout of ${input.packageName} to ${input.domains.length} domain(s) started`,
    {
      ...pkgFields,
      domains: input.domains.map(targetKey),
    },
  );
  // A rollout does not start into an alarm that is already firing: checked before anything changes.
  if (gatesApply(state) && !(await checkBeforeFirstWave(state))) return notStarted(state);
  const fleet = fleetPath(state);
  const published = fleet ? await fleet.publish(state) : await publish(state);
  if (fleet) await fleet.plan(state);
  else await planRollout(state, published.packageId);
  if (input.dryRun) {
    state.markUnreached();
    state.phase = 'done';
    state.report('succeeded');
    return finish(state, state.result('dry-run', published.packageChange));
  }

  await runWaves(state, published.packageId);

  // A failed gate counts as a failure of the rollout, as a failed domain does.
  const failed = state.count('failed') + state.gateFailures.length;
  if (policy.failurePolicy === 'rollback' && (failed > 0 || state.cancelRequested)) {
    state.enter('rolling-back');
    await (fleet ? fleet.rollback(state) : rollback(state, published));
    state.notifier.emit(
      'rolled-back',
      `rolled back: ${state.count('rolled-back')} domain(s) put back, ${state.count('rollback-failed')} could not be`,
      { ...pkgFields, ...(state.targetVersion ? { version: state.targetVersion } : {}) },
    );
  }

  state.phase = 'done';
  const outcome = state.finalOutcome(published.packageChange, failed);
  const final = await finish(state, state.result(outcome, published.packageChange));
  state.report(outcome);
  const gate = state.gateFailures[0];
  const gateNote = gate
    ? `; gate failed (${gate.gate} ${gate.alarm ?? gate.webhook ?? ''}: ${gate.reason})`
    : '';
  if (outcome === 'cancelled')
    throw ApplicationFailure.create({
      message: `rollout cancelled: ${final.counts.current} domain(s) current, ${final.counts.notStarted} not started`,
      type: FailureTypes.RolloutCancelled,
      nonRetryable: true,
      details: [final],
    });
  if (outcome === 'failed' || outcome === 'partial' || outcome === 'rolled-back')
    throw ApplicationFailure.create({
      message:
        outcome === 'rolled-back'
          ? `${failed - state.gateFailures.length} of ${input.domains.length} domain(s) failed${gateNote}; rolled back: ${final.counts.rolledBack} domain(s) put back, ${final.counts.failed} could not be (rollback policy)`
          : `${final.counts.failed} of ${input.domains.length} domain(s) failed${gateNote}; rollout ${outcome} (${policy.failurePolicy} policy)`,
      type: FailureTypes.RolloutFailed,
      nonRetryable: true,
      details: [final],
    });
  return final;
}

/** The last event, then every delivery settled (bounded by the retries) and reported in the result. */
async function finish(
  state: DictionaryRolloutState,
  result: DictionaryRolloutResult,
): Promise<DictionaryRolloutResult> {
  state.notifier.emit(
    'finished',
    `rollout of ${state.input.packageName} finished: ${result.outcome} (${result.counts.current} current, ${result.counts.failed} failed, ${result.counts.rolledBack} rolled back)`,
    {
      package: state.input.packageName,
      ...(result.targetVersion ? { version: result.targetVersion } : {}),
      outcome: result.outcome,
    },
  );
  const notifications = await state.notifier.settle();
  return notifications ? { ...result, notifications } : result;
}

/** An alarm was firing before wave 1: nothing was published or associated; the run says why. */
async function notStarted(state: DictionaryRolloutState): Promise<never> {
  state.markUnreached();
  state.phase = 'done';
  const final = await finish(state, state.result('failed', 'unchanged'));
  state.report('failed');
  const gate = state.gateFailures[0]!;
  throw ApplicationFailure.create({
    message: `rollout not started: ${gate.alarm ? `alarm ${gate.alarm} is ${gate.state ?? 'ALARM'}` : 'alarms could not be read'} before wave 1 (${gate.reason}); nothing was changed`,
    type: FailureTypes.RolloutFailed,
    nonRetryable: true,
    details: [final],
  });
}
