/**
 * Health gates of a dictionary rollout (issue 17, docs/health-gates.md):
 * - before the first wave (before anything is published): the named alarms, for every target
 *   domain and fleet-wide; one firing means the rollout does not start;
 * - after each wave: the bake (`policy.bakeSeconds`), during which the alarms of the domains moved
 *   so far and the fleet-wide ones are read every check interval, then each webhook gate.
 * A failed gate is recorded with the alarm or webhook and its reason; the caller applies the
 * failure policy. Only runs whose input has gates take the patch, so other runs replay unchanged.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { createHealthGateActivities } from '../../activities/health-gates.js';
import { FailureTypes } from '../../model/failures.js';
import { DOMAIN_PLACEHOLDER, type FiringAlarm, type GateFailure } from '../../model/health-gates.js';
import { errorSummary } from '../failures.js';
import { Patches } from '../patches.js';
import { pollingOptions } from '../activity-options.js';
import type { DictionaryRolloutState } from './state.js';

type GateActivities = ReturnType<typeof createHealthGateActivities>;
const gates = proxyActivities<GateActivities>({ startToCloseTimeout: '1 minute' });

/** Whether this run has gates to watch (and, once asked, whether it runs the gate steps). */
export function gatesApply(state: DictionaryRolloutState): boolean {
  const { policy } = state.input;
  const configured =
    policy.bakeSeconds > 0 ||
    (policy.gates?.webhooks.length ?? 0) > 0 ||
    (policy.gates?.alarms !== undefined &&
      policy.gates.alarms.names.length + policy.gates.alarms.prefixes.length > 0);
  return configured && patched(Patches.healthGates);
}

/** Alarm names (or prefixes) for these domains: `{domain}` ones per domain, the others once. */
function expand(templates: string[], domains: string[]): string[] {
  const out = new Set<string>();
  for (const t of templates)
    if (t.includes(DOMAIN_PLACEHOLDER)) for (const d of domains) out.add(t.split(DOMAIN_PLACEHOLDER).join(d));
    else out.add(t);
  return [...out];
}

function record(state: DictionaryRolloutState, failure: Omit<GateFailure, 'at'>): void {
  const full: GateFailure = { ...failure, at: Date.now() };
  state.gateFailures.push(full);
  state.report();
  const where = failure.wave < 0 ? 'before wave 1' : `after wave ${failure.wave + 1}`;
  const what = failure.alarm ? `alarm ${failure.alarm}` : `webhook ${failure.webhook ?? ''}`;
  state.notifier.emit('gate-failed', `gate failed ${where}: ${what}: ${failure.reason}`, {
    package: state.input.packageName,
    ...(state.targetVersion ? { version: state.targetVersion } : {}),
    gate: full,
  });
}

/** The alarm read failed for good: a firing alarm (its details) or an error reading alarms. */
function alarmFailure(err: unknown, wave: number): Omit<GateFailure, 'at'> {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const firing =
    cause instanceof ApplicationFailure && cause.type === FailureTypes.GateFailed
      ? (cause.details?.[0] as FiringAlarm[] | undefined)?.[0]
      : undefined;
  if (firing)
    return {
      gate: 'alarm',
      wave,
      alarm: firing.name,
      state: firing.state,
      reason: firing.reason || firing.state,
    };
  return { gate: 'alarm', wave, reason: `alarms could not be read: ${errorSummary(err).message}` };
}

/**
 * Reads the alarms until `until` (epoch ms; 0 = once). Returns false when one fires (recorded).
 * A cancel ends the bake at once, as it ends a pause.
 */
async function watchAlarms(
  state: DictionaryRolloutState,
  domains: string[],
  until: number,
  wave: number,
): Promise<boolean> {
  const alarms = state.input.policy.gates?.alarms;
  const names = expand(alarms?.names ?? [], domains);
  const prefixes = expand(alarms?.prefixes ?? [], domains);
  const interval = alarms?.checkIntervalSeconds ?? state.input.policy.pollIntervalSeconds;
  const options = pollingOptions(interval, Math.max(until - Date.now(), 0) + 10 * 60_000, [
    FailureTypes.GateFailed,
    FailureTypes.AwsRequestRejected,
  ]);
  const scope = new CancellationScope();
  void condition(() => state.cancelRequested).then(() => scope.cancel());
  try {
    await scope.run(() =>
      gates.watchAlarms.executeWithOptions(
        {
          ...options,
          summary:
            until > 0
              ? `bake after wave ${wave + 1}: watch ${names.length + prefixes.length} alarm name(s)/prefix(es)`
              : `alarms before wave 1: ${names.length + prefixes.length} name(s)/prefix(es)`,
        },
        [{ names, prefixes, failOnInsufficientData: alarms?.failOnInsufficientData ?? false, until }],
      ),
    );
    return true;
  } catch (err) {
    if (isCancellation(err) || state.cancelRequested) return true; // the cancel decides, not the gate
    record(state, alarmFailure(err, wave));
    return false;
  }
}

/** Before anything is published: no alarm of a target domain (or fleet-wide) may be firing. */
export async function checkBeforeFirstWave(state: DictionaryRolloutState): Promise<boolean> {
  const alarms = state.input.policy.gates?.alarms;
  if (!alarms || alarms.names.length + alarms.prefixes.length === 0) return true;
  state.enter('checking-gates');
  return watchAlarms(
    state,
    [...state.outcomes.values()].map((o) => o.domain),
    0,
    -1,
  );
}

/** After a wave: bake while watching the alarms, then each webhook gate. False = a gate failed. */
export async function bakeAndCheck(state: DictionaryRolloutState, wave: number): Promise<boolean> {
  const { policy } = state.input;
  const moved = [...state.outcomes.values()]
    .filter((o) => o.state === 'current' || o.state === 'failed')
    .map((o) => o.domain);
  state.bakeUntil = Date.now() + policy.bakeSeconds * 1000;
  state.enter('baking');
  const healthy = await watchAlarms(state, moved, state.bakeUntil, wave);
  state.bakeUntil = undefined;
  if (!healthy || state.cancelRequested) return healthy;
  state.enter('checking-gates');
  for (const hook of policy.gates?.webhooks ?? []) {
    try {
      await gates.callWebhookGate.executeWithOptions(
        {
          startToCloseTimeout: (hook.timeoutSeconds + 5) * 1000,
          retry: {
            initialInterval: '1s',
            backoffCoefficient: 2,
            maximumInterval: '10s',
            maximumAttempts: hook.retries + 1,
            nonRetryableErrorTypes: [],
          },
          summary: `webhook gate ${hook.name} after wave ${wave + 1}`,
        },
        [
          {
            name: hook.name,
            url: hook.url,
            ...(hook.bearerTokenEnv ? { bearerTokenEnv: hook.bearerTokenEnv } : {}),
            timeoutSeconds: hook.timeoutSeconds,
            context: {
              workflowId: workflowInfo().workflowId,
              package: state.input.packageName,
              packageId: state.pkg?.packageId,
              version: state.targetVersion,
              wave: wave + 1,
              waves: state.waves.length,
              domains: state.waves[wave] ?? [],
              movedDomains: moved,
            },
          },
        ],
      );
    } catch (err) {
      record(state, {
        gate: 'webhook',
        wave,
        webhook: hook.name,
        url: hook.url,
        reason: errorSummary(err).message,
      });
      return false;
    }
  }
  return true;
}
