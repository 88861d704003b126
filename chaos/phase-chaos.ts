/**
 * The chaos phase: fault rules and AWS's rate limits on, every chain of rollouts started side by
 * side, and meanwhile the kill points (worker SIGKILLs aimed at phases, dev server SIGKILLs and
 * restarts at evenly spread counts); then the drain (every rollout gets `drainSeconds` to end), the
 * stalls the kills caused checked against their bounds, and the faults and limits off again.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { ASSUMED_AWS_LIMITS } from '../src/emulator/rate-limits.js';
import { runChain, type ChainContext } from './chains.js';
import { Dice } from './dice.js';
import type { RunRecord } from './invariants.js';
import { chooseVictim, killedDataPlane, type KillPoint } from './kills.js';
import { log, started } from './log.js';
import type { SizeSpec } from './options.js';
import type { Plan } from './plan.js';
import { sleep } from './reachability.js';
import type { Stack } from './stack.js';
import { StallWatch } from './stalls.js';
import type { Violations } from './violations.js';

export async function runChaosPhase(
  x: Stack & {
    plan: Plan;
    spec: SizeSpec;
    seed: number;
    applications: Map<string, string>;
    violations: Violations;
  },
) {
  const {
    control,
    client,
    server,
    fleet,
    receiver,
    node,
    httpBase,
    plan,
    spec,
    seed,
    applications,
    violations,
  } = x;
  const faultRules = [
    { mutatingOnly: true, throttleProbability: 0.3 },
    { mutatingOnly: true, internalErrorProbability: 0.1 },
    { mutatingOnly: true, loseResponseProbability: 0.1 },
    { mutatingOnly: true, latencyMs: 120 },
    // Network faults on every call, mutating ones and polling reads alike.
    { resetBeforeProbability: 0.03, resetAfterProbability: 0.03, hangProbability: 0.015 },
  ];
  for (const rule of faultRules) await control.addFault(rule);
  // AWS's rate limits (assumed: es and iot 10/s, burst 20; CloudWatch 9/s), under the workers' budget.
  await control.setRateLimits(ASSUMED_AWS_LIMITS);
  const chaosStart = new Date().toISOString();
  log(`faults on: ${JSON.stringify(faultRules)}`);

  const records: RunRecord[] = [];
  const open = new Map<string, WorkflowHandle>();
  let serverDown: Promise<void> | undefined;
  const stallWatch = new StallWatch(client);
  const ctx: ChainContext = {
    client,
    control,
    records,
    open,
    httpBase,
    applications,
    violations,
    serverUp: () => serverDown ?? Promise.resolve(),
    receiver,
    ...(node ? { node } : {}),
    republished: new Set(),
    alarmsFired: [],
    log,
  };
  let chainsDone = false;
  let stopping = false;
  // A chain that throws is a violation, not a crash; one still open when the suite stops ends quietly.
  const chainsRun = Promise.all(
    plan.chains.map((chain) =>
      runChain(chain, ctx).catch((err: unknown) =>
        violations.check('every chain runs to its end', stopping, () => `${chain.id}: ${String(err)}`),
      ),
    ),
  ).finally(() => (chainsDone = true));

  const kills: KillPoint[] = [];
  let phaseKills = 0;
  const dice = new Dice(seed, 2);
  // Server outages at evenly spread kill counts: crashes (SIGKILL) first, then clean stops.
  const outages = spec.serverKills + spec.serverRestarts;
  const serverEvents = new Map<number, 'SIGKILL' | 'SIGTERM'>(
    Array.from({ length: outages }, (_, i) => [
      Math.floor(((i + 1) * spec.killPoints) / (outages + 1)),
      i % 2 === 0 && i / 2 < spec.serverKills ? 'SIGKILL' : 'SIGTERM',
    ]),
  );
  const restarts: Array<Promise<unknown>> = [];
  const restartLog: Array<{ at: number; openRollouts: number; signal: 'SIGKILL' | 'SIGTERM' }> = [];
  // Kills land at any moment: in staging too, and while rollouts are being started.
  while (!chainsDone && kills.length < spec.killPoints) {
    await Promise.race([sleep(dice.between(...spec.killIntervalSeconds) * 1000), chainsRun]);
    if (chainsDone) break;
    await killOrRestart();
  }
  async function killOrRestart(): Promise<void> {
    const signal = serverEvents.get(kills.length);
    if (signal) {
      serverEvents.delete(kills.length);
      restartLog.push({ at: Date.now() - started, openRollouts: open.size, signal });
      const downMs = dice.int(1000, 3000);
      log(
        `${signal === 'SIGKILL' ? 'SIGKILL of' : 'stopping'} the Temporal dev server (${open.size} rollouts open); restarting on the same database in ${downMs} ms`,
      );
      stallWatch.outageBegins();
      serverDown = signal === 'SIGKILL' ? server.crash(downMs) : server.restart(downMs);
      await serverDown;
      serverDown = undefined;
      stallWatch.outageEnds();
      log('dev server back');
      return;
    }
    const kill = await chooseVictim(
      fleet,
      open,
      dice,
      spec.maxDataPlaneKills,
      kills.filter(killedDataPlane).length,
    );
    if (!kill) return;
    await fleet.kill(kill.worker);
    kills.push(kill);
    for (const a of kill.killed ?? []) stallWatch.watch(a, Date.now());
    log(
      `kill ${kills.length}/${spec.killPoints}: SIGKILL worker ${kill.worker} (pid ${kill.pid}) ${kill.mode === 'mid-activity' ? `in ${kill.activity} of ${kill.workflowId}` : 'at a random point'}`,
    );
    const name = kill.worker;
    const delay = dice.int(300, 2000);
    restarts.push(
      sleep(delay)
        .then(() => fleet.start(name))
        .catch((err: unknown) => log(`restart of worker ${name} failed: ${String(err)}`)),
    );
  }
  if (kills.length < spec.killPoints)
    violations.check(
      'the run reached its kill points',
      false,
      () => `only ${kills.length} of ${spec.killPoints} kill points before every rollout ended`,
    );
  log(`kills done (${kills.length}); waiting for every rollout to end (at most ${spec.drainSeconds} s)`);
  // Phase kill points while the rollouts drain: only a worker that reads a baking run's alarms,
  // follows a blue/green deployment or runs an activity of a fleet run is killed (none found: no kill). The new paths run late in a
  // chain, after the main kill points; this is how kills reach them. No data-plane kills here: each
  // stalls its verification for 2 minutes, which in the drain would only lengthen the run.
  const drainEnd = Date.now() + spec.drainSeconds * 1000;
  const phases = ['bake', 'blue-green', 'fleet'] as const;
  let phaseTries = 0;
  while (!chainsDone && phaseTries < spec.phaseKillPoints && Date.now() < drainEnd - 60_000) {
    await Promise.race([sleep(dice.between(...spec.killIntervalSeconds) * 1000), chainsRun]);
    if (chainsDone) break;
    const only = phases[phaseTries++ % phases.length]!;
    const kill = await chooseVictim(fleet, open, dice, 0, kills.filter(killedDataPlane).length, only);
    if (!kill) continue;
    await fleet.kill(kill.worker);
    kills.push(kill);
    phaseKills++;
    for (const a of kill.killed ?? []) stallWatch.watch(a, Date.now());
    log(
      `phase kill (${only}): SIGKILL worker ${kill.worker} (pid ${kill.pid}) ${kill.activity ? `in ${kill.activity} of ${kill.workflowId}` : `while ${kill.baking} run(s) baked`}`,
    );
    const name = kill.worker;
    restarts.push(
      sleep(dice.int(300, 2000))
        .then(() => fleet.start(name))
        .catch((err: unknown) => log(`restart of worker ${name} failed: ${String(err)}`)),
    );
  }
  const drained = await Promise.race([
    chainsRun.then(() => true),
    sleep(Math.max(drainEnd - Date.now(), 0)).then(() => false),
  ]);
  if (drained) log('every rollout ended');
  await Promise.all(restarts);
  await stallWatch.settle();
  for (const st of stallWatch.stalls.filter((x) => !x.acrossServerOutage))
    violations.check(
      'a killed worker stalls an activity for under 2x its heartbeat or start-to-close timeout',
      st.ms !== undefined && st.timeoutMs !== undefined && st.ms < 2 * st.timeoutMs,
      () =>
        `${st.activity} (${st.activityId}) of ${st.workflowId}, attempt ${st.attempt}: ${st.ms === undefined ? 'never resumed' : `${(st.ms / 1000).toFixed(1)} s`} (timeout ${st.timeoutMs === undefined ? '?' : `${st.timeoutMs / 1000} s`}, limit twice it)`,
    );
  if (!drained) log(`not every rollout ended within ${spec.drainSeconds} s: ${[...open.keys()].join(', ')}`);
  stopping = !drained;
  await control.clearFaults();
  await control.setRateLimits({ es: null, iot: null, s3: null, monitoring: null });
  const chaosEnd = new Date().toISOString();
  return { records, kills, phaseKills, restartLog, stallWatch, ctx, chaosStart, chaosEnd };
}
