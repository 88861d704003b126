/**
 * `npm run chaos`: many rollouts of every kind on a real Temporal dev server (persisted to a
 * database file) with worker PROCESSES, through the repository's AWS emulator (with AWS's rate
 * limits on and the workers' shared call budget), a real OpenSearch node for verified rollouts and
 * a local webhook receiver for gates and notifications, while the suite SIGKILLs workers at seeded
 * points aimed at phases (staging, analyzer refresh and close/open, probes, bakes, blue/green
 * deployments), SIGKILLs or stops the dev server and starts it again on the same database file
 * mid-rollout, and has the emulator throttle (30 %), fail (500), slow down and lose the responses
 * of mutating calls, and reset or hang connections on every call. It measures how long each kill
 * stalled the activities it interrupted (stalls.ts). Then it checks that nothing was lost,
 * duplicated or left half-applied (invariants.ts, invariants-new-paths.ts), tries the table of
 * hostile inputs through the client, direct starts and the CLI (hostile.ts) and the refused URL
 * kinds (url-policy.ts), and scans every history it produced for secrets
 * (harness/history-secrets.ts). Exit 1 on any violation.
 *
 * The parts: stack.ts (processes), fixtures.ts, phase-chaos.ts (faults, chains, kills, drain),
 * phase-end.ts (checks after the run), summary.ts. docs/chaos.md: what it does, how to replay a
 * seed, the latest summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptionCodec } from '../src/codec/encryption-codec.js';
import { newPathFigures } from './end-checks.js';
import { decoyView, setUpFixtures } from './fixtures.js';
import { setUpFleetFixtures } from './fleet-places.js';
import { tryHostileInputs, type HostileReport } from './hostile.js';
import { log, started } from './log.js';
import { parseOptions, USAGE, UsageError, type ChaosOptions } from './options.js';
import { checkAfterRun } from './phase-end.js';
import { runChaosPhase } from './phase-chaos.js';
import { makePlan } from './plan.js';
import { AWS_CALLS_PER_SECOND, startStack } from './stack.js';
import { makeSummary, printSummary } from './summary.js';
import { tryRefusedUrls } from './url-policy.js';
import { Violations } from './violations.js';
import { TASK_QUEUE } from './chains.js';

async function main(): Promise<number> {
  let options: ChaosOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message === 'usage' ? '' : `chaos: ${err.message}\n\n`}${USAGE}\n`);
      return err.message === 'usage' ? 0 : 2;
    }
    throw err;
  }
  const { seed, spec } = options;
  log(
    `seed ${seed}, size ${options.size} (replay: npm run chaos -- --seed ${seed}${options.size === 'quick' ? ' --quick' : ''})`,
  );
  const plan = makePlan(seed, spec);
  const dir = mkdtempSync(join(tmpdir(), `package-rollouts-chaos-${seed}-`));
  const violations = new Violations();
  const cleanups: Array<() => Promise<unknown>> = [];

  // Secrets the worker holds: none of them may reach a history.
  const secrets = {
    accessKeyId: `AKIA${randomBytes(12).toString('hex').toUpperCase().slice(0, 16)}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: `FwoGZXIvYXdzE${randomBytes(60).toString('base64')}`,
    payloadKey: randomBytes(32).toString('base64'),
  };
  const codec = new EncryptionCodec({
    id: 'chaos',
    key: new Uint8Array(Buffer.from(secrets.payloadKey, 'base64')),
  });

  try {
    const stack = await startStack({ seed, plan, spec, dir, secrets, codec, cleanups });
    const { server, client, aws, control, node, fleet, receiver } = stack;
    // ---- fixtures ---------------------------------------------------------------------------
    const applications = await setUpFixtures(plan, aws, control, node);
    await setUpFleetFixtures(plan, control, stack.places);
    const decoysBefore = decoyView(await control.state(), plan);
    const setupEnd = new Date().toISOString();

    // ---- hostile inputs (no faults: a refusal must come from validation, not from chaos) -----
    const hostile: HostileReport = await tryHostileInputs({
      client,
      taskQueue: TASK_QUEUE,
      temporalAddress: server.address,
      control,
      aws,
      dir,
      cliEnv: {
        TEMPORAL_ADDRESS: server.address,
        ROLLOUTS_PAYLOAD_KEY: secrets.payloadKey,
        ROLLOUTS_PAYLOAD_KEY_ID: 'chaos',
      },
      violations,
      log,
    });
    const refusedUrls = await tryRefusedUrls({
      client,
      taskQueue: TASK_QUEUE,
      control,
      aws,
      violations,
      stagingBucket: 'hostile-staging',
      domain: 'hostile-1',
    });
    hostile.runs.push(...refusedUrls.runs);
    log(`refused URL kinds: ${refusedUrls.cases.join(', ')}`);
    log(
      `hostile inputs: ${hostile.tried} tried (${Object.entries(hostile.byWay)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    );

    // ---- chaos: rollouts under faults, kills and server outages ---------------------------------
    const chaos = await runChaosPhase({ ...stack, plan, spec, seed, applications, violations });
    const { records, kills, restartLog, stallWatch, ctx, chaosStart, chaosEnd } = chaos;

    // ---- invariants after the run, and the secrets scan -----------------------------------------
    const { calls, scan } = await checkAfterRun({
      client,
      control,
      plan,
      records,
      violations,
      ctx,
      node,
      decoysBefore,
      setupEnd,
      applications,
      secrets,
      codec,
      hostileRuns: hostile.runs,
    });

    // ---- summary ---------------------------------------------------------------------------------
    const chaosCalls = calls.filter((c) => c.realAt >= chaosStart && c.realAt <= chaosEnd);
    const summary = makeSummary({
      options,
      records,
      kills,
      stalls: stallWatch.stalls,
      serverRestarts: restartLog,
      fleet,
      chaosCalls,
      hostile,
      scan,
      violations,
      seconds: (Date.now() - started) / 1000,
      newPaths: newPathFigures({
        records,
        kills,
        receiver,
        alarmsFired: ctx.alarmsFired,
        chaosCalls,
        callsPerSecond: AWS_CALLS_PER_SECOND,
        phaseKills: chaos.phaseKills,
      }),
    });
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
    printSummary(summary, violations);
    if (violations.list.length > 0) {
      for (const w of fleet.unexpectedExits)
        log(`worker ${w.name} pid ${w.pid} exited ${w.code}:\n${w.tail}`);
      options.keep = true;
    }
    return violations.list.length > 0 ? 1 : 0;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    if (options.keep) log(`run directory kept: ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

const watchdog = setTimeout(
  () => {
    process.stderr.write(
      'chaos: still running after 15 minutes; giving up (violation: the suite is unbounded)\n',
    );
    process.exit(1);
  },
  15 * 60 * 1000,
);
watchdog.unref();

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
