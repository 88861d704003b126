/**
 * `npm run chaos`: many rollouts of every kind on a real Temporal dev server (persisted to a
 * database file) with worker PROCESSES, through the repository's AWS emulator, while the suite
 * SIGKILLs workers at seeded points (mostly in the middle of an activity, staging included, with a
 * second worker on the same task queue when it is up), SIGKILLs or stops the dev server and starts
 * it again on the same database file mid-rollout, and has the emulator throttle (30 %), fail (500),
 * slow down and lose the responses of mutating calls, and reset or hang connections on every call.
 * It measures how long each kill stalled the activities it interrupted (stalls.ts). Then it checks
 * that nothing was lost, duplicated or left half-applied (invariants.ts), tries the table of hostile
 * inputs through the client, direct starts and the CLI (hostile.ts) and the refused URL kinds
 * (url-policy.ts), and scans every history it produced for secrets (harness/history-secrets.ts).
 * Exit 1 on any violation.
 *
 * docs/chaos.md: what it does, how to replay a seed, the latest summary.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createEmulatorAwsClients, destroyAwsClients } from '../src/aws/clients.js';
import { EncryptionCodec } from '../src/codec/encryption-codec.js';
import { startEmulator } from '../src/emulator/server.js';
import { resolveTemporalCli } from '../src/temporal/cli.js';
import { freePort } from '../src/temporal/dev-server.js';
import { workflowsEntry } from '../src/worker/create-worker.js';
import { runChain, TASK_QUEUE, type ChainContext } from './chains.js';
import { decoyView, setUpFixtures } from './fixtures.js';
import { TemporalServer, WorkerFleet } from './fleet.js';
import { tryHostileInputs, type HostileReport } from './hostile.js';
import {
  checkAllTerminal,
  checkFailureSaysWhy,
  checkGlobalState,
  effective,
  type RunRecord,
} from './invariants.js';
import { chooseVictim, pendingSummary, type KillPoint } from './kills.js';
import { log, started } from './log.js';
import { parseOptions, USAGE, UsageError, type ChaosOptions } from './options.js';
import { makePlan } from './plan.js';
import {
  describeFindings,
  fileContentNeedles,
  scanHistories,
  secretNeedles,
  type ScanReport,
} from '../harness/history-secrets.js';
import { Dice } from './dice.js';
import { sleep, whileReachable } from './reachability.js';
import { StallWatch } from './stalls.js';
import { makeSummary, printSummary } from './summary.js';
import { tryRefusedUrls } from './url-policy.js';
import { Violations } from './violations.js';

const REGION = 'us-east-1';

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
    // ---- the stack ------------------------------------------------------------------------
    const cli = await resolveTemporalCli({ log });
    const server = new TemporalServer(cli, await freePort(), join(dir, 'temporal.db'));
    const emulatorStarted = startEmulator({
      seed,
      durations: {
        packageCopyingMs: 300,
        packageValidatingMs: 300,
        associationMs: 1500,
        dissociationMs: 1000,
      },
    });
    const bundlePath = join(dir, 'workflow-bundle.js');
    const bundled = bundleWorkflowCode({ workflowsPath: workflowsEntry(), logger: undefined }).then(
      ({ code }) => writeFileSync(bundlePath, code),
    );
    await server.start();
    cleanups.push(() => server.stop());
    const emulator = await emulatorStarted;
    cleanups.push(() => emulator.stop());
    await bundled;
    log(`dev server ${server.address} on ${server.dbFile}; emulator ${emulator.url}; workflow bundle built`);

    const workerEnv: Record<string, string> = {
      TEMPORAL_ADDRESS: server.address,
      ROLLOUTS_TASK_QUEUE: TASK_QUEUE,
      ROLLOUTS_WORKFLOW_BUNDLE: bundlePath,
      ROLLOUTS_PAYLOAD_KEY: secrets.payloadKey,
      ROLLOUTS_PAYLOAD_KEY_ID: 'chaos',
      // INFO: the fleet waits for the worker's 'worker started' line.
      ROLLOUTS_LOG_LEVEL: 'INFO',
      ROLLOUTS_SHUTDOWN_GRACE_SECONDS: '2',
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: secrets.accessKeyId,
      AWS_SECRET_ACCESS_KEY: secrets.secretAccessKey,
      AWS_SESSION_TOKEN: secrets.sessionToken,
      AWS_EC2_METADATA_DISABLED: 'true',
      // Short network timeouts (documented defaults: 5 s / 20 s) keep hung connections to seconds.
      ROLLOUTS_AWS_CONNECT_TIMEOUT_MS: '2000',
      ROLLOUTS_AWS_REQUEST_TIMEOUT_MS: '4000',
    };
    const fleet = new WorkerFleet(workerEnv, log);
    cleanups.push(() => fleet.stopAll());
    await Promise.all([fleet.start('A'), fleet.start('B')]);
    log('two workers on task queue chaos-rollouts');

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
    const aws = createEmulatorAwsClients(emulator.url, {
      credentials: {
        accessKeyId: secrets.accessKeyId,
        secretAccessKey: secrets.secretAccessKey,
        sessionToken: secrets.sessionToken,
      },
    });
    cleanups.push(async () => destroyAwsClients(aws));
    const control = emulator.control;

    // ---- fixtures ---------------------------------------------------------------------------
    const http = createServer((req, res) => {
      const content = plan.contents.find((c) => req.url === `/${c.id}.txt`);
      if (!content) return void res.writeHead(404).end();
      // Half now, the rest after a pause: the staging runs for seconds, so kills can land in it.
      const body = Buffer.from(content.text);
      const half = Math.floor(body.length / 2);
      res.writeHead(200, {
        'content-type': 'text/plain; charset=utf-8',
        'content-length': String(body.length),
      });
      res.write(body.subarray(0, half));
      setTimeout(() => res.end(body.subarray(half)), content.slowMs).unref();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const httpBase = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const applications = await setUpFixtures(plan, aws, control);
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

    // ---- chaos -------------------------------------------------------------------------------
    const faultRules = [
      { mutatingOnly: true, throttleProbability: 0.3 },
      { mutatingOnly: true, internalErrorProbability: 0.1 },
      { mutatingOnly: true, loseResponseProbability: 0.1 },
      { mutatingOnly: true, latencyMs: 120 },
      // Network faults on every call, mutating ones and polling reads alike.
      { resetBeforeProbability: 0.03, resetAfterProbability: 0.03, hangProbability: 0.015 },
    ];
    for (const rule of faultRules) await control.addFault(rule);
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
    };
    let chainsDone = false;
    const chainsRun = Promise.all(plan.chains.map((chain) => runChain(chain, ctx))).finally(
      () => (chainsDone = true),
    );

    const kills: KillPoint[] = [];
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
      const kill = await chooseVictim(fleet, open, dice);
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
    const drained = await Promise.race([
      chainsRun.then(() => true),
      sleep(spec.drainSeconds * 1000).then(() => false),
    ]);
    await Promise.all(restarts);
    await stallWatch.settle();
    for (const st of stallWatch.stalls.filter((x) => !x.acrossServerOutage))
      violations.check(
        'a killed worker stalls an activity for under 2x its heartbeat or start-to-close timeout',
        st.ms !== undefined && st.boundMs !== undefined && st.ms < 2 * st.boundMs,
        () =>
          `${st.activity} (${st.activityId}) of ${st.workflowId}, attempt ${st.attempt}: ${st.ms === undefined ? 'never resumed' : `${(st.ms / 1000).toFixed(1)} s`} (bound ${st.boundMs === undefined ? '?' : `${st.boundMs / 1000} s`})`,
      );
    if (!drained)
      log(`not every rollout ended within ${spec.drainSeconds} s: ${[...open.keys()].join(', ')}`);
    await control.clearFaults();
    const chaosEnd = new Date().toISOString();

    // ---- invariants after the run -------------------------------------------------------------
    const openIds = await checkAllTerminal(client, records, TASK_QUEUE, violations);
    for (const id of openIds) log(`STUCK: ${id}: ${await pendingSummary(client, id)}`);
    const finalState = await control.state();
    checkGlobalState(finalState, violations);
    const decoysAfter = decoyView(finalState, plan);
    violations.check(
      'nothing the result does not mention was changed',
      JSON.stringify(decoysAfter) === JSON.stringify(decoysBefore),
      () =>
        `decoy resources changed:\nbefore ${JSON.stringify(decoysBefore)}\nafter  ${JSON.stringify(decoysAfter)}`,
    );
    const calls = await control.calls();
    const planned = new Set(plan.chains.flatMap((c) => c.domains));
    for (const c of calls.filter((c) => effective(c) && c.realAt >= setupEnd && c.resource?.domainName))
      violations.check(
        'nothing the result does not mention was changed',
        planned.has(c.resource!.domainName!) || c.resource!.domainName!.startsWith('hostile-'),
        () => `${c.operation} on ${c.resource!.domainName} (seq ${c.seq}), which no rollout targets`,
      );
    const attachPairs = new Set(
      plan.chains
        .filter((c) => c.kind === 'attach')
        .map((c) => `${applications.get(c.target)} ${c.dataSource}`),
    );
    for (const a of finalState.opensearch.attachments)
      violations.check(
        'nothing the result does not mention was changed',
        attachPairs.has(`${a.applicationId} ${a.dataSourceArn}`),
        () =>
          `attachment ${a.attachmentId} of ${a.dataSourceArn} to ${a.applicationId}, which no rollout asked for`,
      );
    for (const r of records) checkFailureSaysWhy(r, violations);

    // ---- secrets in histories ------------------------------------------------------------------
    const needles = [
      ...secretNeedles('AWS_ACCESS_KEY_ID', secrets.accessKeyId),
      ...secretNeedles('AWS_SECRET_ACCESS_KEY', secrets.secretAccessKey),
      ...secretNeedles('AWS_SESSION_TOKEN', secrets.sessionToken),
      ...secretNeedles('ROLLOUTS_PAYLOAD_KEY', secrets.payloadKey),
      ...plan.contents.flatMap((c) => fileContentNeedles(`dictionary ${c.id}`, c.text)),
    ];
    const scanned = [...records.map((r) => ({ workflowId: r.workflowId, runId: r.runId })), ...hostile.runs];
    const scan: ScanReport = await whileReachable('history scan', () =>
      scanHistories(client, scanned, needles, codec),
    );
    violations.check(
      'histories hold no credential, key, token or file content',
      scan.findings.length === 0,
      () => describeFindings(scan.findings).join('\n'),
    );

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
