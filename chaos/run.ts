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
import { CreateApplicationCommand } from '@aws-sdk/client-opensearch';
import {
  CreatePackageCommand as CreateIotPackageCommand,
  CreatePackageVersionCommand,
} from '@aws-sdk/client-iot';
import {
  AssociatePackageCommand,
  CreatePackageCommand,
  DescribePackagesCommand,
} from '@aws-sdk/client-opensearch';
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createEmulatorAwsClients, destroyAwsClients, type AwsClients } from '../src/aws/clients.js';
import { resultInFailure } from '../src/client/results.js';
import { startDataSourceAttachment } from '../src/client/data-source-attachment.js';
import { RolloutAlreadyRunningError, startDictionaryRollout } from '../src/client/dictionary-rollout.js';
import { IotReleaseAlreadyRunningError, startIotPackageRelease } from '../src/client/iot-package-release.js';
import { startPackageRemoval } from '../src/client/package-removal.js';
import { EncryptionCodec } from '../src/codec/encryption-codec.js';
import type { EmulatorControl } from '../src/emulator/control-client.js';
import { startEmulator } from '../src/emulator/server.js';
import type { CallRecord, EmulatorStateSnapshot } from '../src/emulator/types.js';
import { resolveTemporalCli } from '../src/temporal/cli.js';
import { freePort } from '../src/temporal/dev-server.js';
import { workflowsEntry } from '../src/worker/create-worker.js';
import { TemporalServer, WorkerFleet } from './fleet.js';
import { tryHostileInputs, type HostileReport } from './hostile.js';
import {
  checkAllTerminal,
  checkAttachRun,
  checkDictionaryRun,
  checkFailureSaysWhy,
  checkGlobalState,
  checkIotRun,
  checkRemovalRun,
  effective,
  type RunRecord,
} from './invariants.js';
import { parseOptions, USAGE, UsageError, type ChaosOptions } from './options.js';
import { ARTIFACT_BUCKET, makePlan, SOURCE_BUCKET, STAGING_BUCKET, type Chain, type Plan } from './plan.js';
import {
  describeFindings,
  fileContentNeedles,
  scanHistories,
  secretNeedles,
  type ScanReport,
} from '../harness/history-secrets.js';
import { Dice } from './dice.js';
import { sleep, whileReachable } from './reachability.js';
import { longestStalls, StallWatch, type KilledActivity, type Stall } from './stalls.js';
import { tryRefusedUrls } from './url-policy.js';
import { Violations } from './violations.js';

const TASK_QUEUE = 'chaos-rollouts';
const REGION = 'us-east-1';

interface KillPoint {
  at: number;
  worker: string;
  pid: number;
  mode: 'mid-activity' | 'random point';
  /** Other workers polling the task queue at the time of the kill. */
  othersReady: number;
  activity?: string;
  workflowId?: string;
  /** The activities the kill interrupted (mid-activity kills): their stalls are measured. */
  killed?: KilledActivity[];
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const log = (m: string) => process.stdout.write(`[chaos ${elapsed()}] ${m}\n`);

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

// ---- fixtures ----------------------------------------------------------------------------------

async function setUpFixtures(plan: Plan, aws: AwsClients, control: EmulatorControl) {
  await control.seedDomains(plan.allDomains.map((name) => ({ name })));
  for (const chain of plan.chains)
    for (const d of chain.failingDomains)
      await control.configureDomain(d, { failAssociation: `chaos: ${d} rejects the analyzer file` });
  for (const Bucket of [STAGING_BUCKET, SOURCE_BUCKET, ARTIFACT_BUCKET])
    await aws.s3.send(new CreateBucketCommand({ Bucket }));
  for (const c of plan.contents)
    await aws.s3.send(new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: `${c.id}.txt`, Body: c.text }));
  const applications = new Map<string, string>();
  for (const chain of plan.chains.filter((c) => c.kind === 'attach')) {
    await control.setDurations({ applicationCreatingMs: chain.applicationCreatingMs ?? 0 });
    const app = await aws.opensearch.send(new CreateApplicationCommand({ name: chain.target }));
    applications.set(chain.target, app.id!);
  }
  await control.setDurations({ applicationCreatingMs: 0 });
  for (const chain of plan.chains.filter((c) => c.kind === 'iot'))
    for (const step of chain.steps)
      if (step.kind === 'iot')
        await aws.s3.send(
          new PutObjectCommand({
            Bucket: ARTIFACT_BUCKET,
            Key: `${chain.target}/${step.versionName}.bin`,
            Body: `firmware ${chain.target} ${step.versionName}`,
          }),
        );
  // Decoys: a package on a domain no rollout targets, and an IoT package no release names.
  await aws.s3.send(
    new PutObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'decoy.txt', Body: 'decoy, untouched\n' }),
  );
  const decoy = await aws.opensearch.send(
    new CreatePackageCommand({
      PackageName: 'decoy-dict',
      PackageType: 'TXT-DICTIONARY',
      PackageSource: { S3BucketName: SOURCE_BUCKET, S3Key: 'decoy.txt' },
    }),
  );
  const decoyId = decoy.PackageDetails!.PackageID!;
  for (let i = 0; ; i++) {
    const d = await aws.opensearch.send(
      new DescribePackagesCommand({ Filters: [{ Name: 'PackageID', Value: [decoyId] }] }),
    );
    if (d.PackageDetailsList?.[0]?.PackageStatus === 'AVAILABLE') break;
    if (i > 100) throw new Error('decoy package never became AVAILABLE');
    await sleep(100);
  }
  await aws.opensearch.send(new AssociatePackageCommand({ PackageID: decoyId, DomainName: 'decoy-1' }));
  await aws.iot.send(new CreateIotPackageCommand({ packageName: 'decoy-fw' }));
  await aws.iot.send(new CreatePackageVersionCommand({ packageName: 'decoy-fw', versionName: '0.9.0' }));
  await sleep(1800); // the decoy association becomes ACTIVE
  return applications;
}

/** What no rollout may change: decoy domains, the decoy package, the decoy IoT package. */
function decoyView(state: EmulatorStateSnapshot, plan: Plan) {
  return {
    domains: state.opensearch.domains
      .filter((d) => plan.decoyDomains.includes(d.name))
      .map((d) => ({ name: d.name, associations: d.associations })),
    package: state.opensearch.packages.filter((p) => p.name === 'decoy-dict'),
    iot: state.iot.packages.filter((p) => p.name === 'decoy-fw'),
  };
}

// ---- chains of rollouts --------------------------------------------------------------------------

interface ChainContext {
  client: Client;
  control: EmulatorControl;
  records: RunRecord[];
  open: Map<string, WorkflowHandle>;
  httpBase: string;
  applications: Map<string, string>;
  violations: Violations;
  serverUp: () => Promise<void>;
}

const fast = { pollIntervalSeconds: 0.3 };

async function runChain(chain: Chain, ctx: ChainContext): Promise<void> {
  const released = new Set<string>();
  for (const [index, step] of chain.steps.entries()) {
    const before = await ctx.control.state();
    const record: RunRecord = {
      chain: chain.id,
      step: index + 1,
      kind: 'dictionaryRollout',
      target: chain.target,
      workflowId: '',
      runId: '',
      startedAt: new Date().toISOString(),
      domains: chain.domains,
      failingDomains: chain.failingDomains,
    };
    let start: () => Promise<{ workflowId: string; handle: WorkflowHandle }>;
    if (step.kind === 'dictionary') {
      record.expectChange = step.expectChange;
      const source =
        step.content.via === 's3'
          ? { kind: 's3' as const, bucket: SOURCE_BUCKET, key: `${step.content.id}.txt` }
          : { kind: 'url' as const, url: `${ctx.httpBase}/${step.content.id}.txt` };
      start = () =>
        startDictionaryRollout(
          ctx.client,
          {
            packageName: chain.target,
            description: `chaos chain ${chain.id}`,
            source,
            staging: { bucket: STAGING_BUCKET },
            domains: chain.domains,
            policy: {
              ...fast,
              maxConcurrency: 3,
              waves: { strategy: 'sizes', canary: 1, sizes: [2] },
              failurePolicy: chain.failingDomains.length > 0 ? 'continue' : 'halt',
              associationDeadlineSeconds: 600,
            },
          },
          { taskQueue: TASK_QUEUE },
        );
    } else if (step.kind === 'removal') {
      record.kind = 'packageRemoval';
      start = () =>
        startPackageRemoval(
          ctx.client,
          { packageName: chain.target, ...fast, maxConcurrency: 3, dissociationDeadlineSeconds: 600 },
          { taskQueue: TASK_QUEUE },
        );
    } else if (step.kind === 'iot') {
      record.kind = 'iotPackageRelease';
      if (step.rerun) record.expectChange = 'unchanged';
      released.add(step.versionName);
      start = () =>
        startIotPackageRelease(
          ctx.client,
          {
            packageName: chain.target,
            versionName: step.versionName,
            description: `chaos release ${step.versionName}`,
            attributes: { channel: 'stable', build: step.versionName },
            artifact: { bucket: ARTIFACT_BUCKET, key: `${chain.target}/${step.versionName}.bin` },
            ...(step.keepLast ? { deprecateOlder: { keepLast: step.keepLast } } : {}),
          },
          { taskQueue: TASK_QUEUE },
        );
    } else {
      record.kind = 'dataSourceAttachment';
      start = () =>
        startDataSourceAttachment(
          ctx.client,
          {
            applicationId: ctx.applications.get(chain.target)!,
            dataSourceArn: chain.dataSource!,
            workspaceConfiguration: { name: `Chaos ${chain.id}`, workspaceType: 'OBSERVABILITY' },
            ...fast,
            waitLimitSeconds: 600,
          },
          { taskQueue: TASK_QUEUE },
        );
    }
    await ctx.serverUp();
    let handle: WorkflowHandle;
    try {
      ({ handle } = await whileReachable(`start ${chain.id}`, start));
    } catch (err) {
      // A start whose answer was lost while the server restarted: the run exists; follow it.
      if (err instanceof RolloutAlreadyRunningError || err instanceof IotReleaseAlreadyRunningError)
        handle = ctx.client.workflow.getHandle(err.workflowId);
      else {
        ctx.violations.check(
          'every valid start is accepted',
          false,
          () => `${chain.id} step ${index + 1}: ${String(err)}`,
        );
        return;
      }
    }
    record.workflowId = handle.workflowId;
    record.runId =
      (handle as WorkflowHandle & { firstExecutionRunId?: string }).firstExecutionRunId ??
      (await whileReachable('describe', () => handle.describe())).runId;
    ctx.records.push(record);
    ctx.open.set(
      `${record.workflowId} ${record.runId}`,
      ctx.client.workflow.getHandle(record.workflowId, record.runId),
    );
    const end = await whileReachable(
      `result of ${record.workflowId}`,
      () => endOfRun(ctx.client.workflow.getHandle(record.workflowId, record.runId)),
      600_000,
    );
    ctx.open.delete(`${record.workflowId} ${record.runId}`);
    record.endedAt = new Date().toISOString();
    Object.assign(record, end);
    // Per-run invariants, before the chain's next step changes the same resources.
    const after = await ctx.control.state();
    const calls = await ctx.control.calls();
    if (record.kind === 'dictionaryRollout') checkDictionaryRun(record, before, after, calls, ctx.violations);
    else if (record.kind === 'packageRemoval') checkRemovalRun(record, after, calls, ctx.violations);
    else if (record.kind === 'iotPackageRelease') checkIotRun(record, after, released, calls, ctx.violations);
    else
      checkAttachRun(record, after, ctx.applications.get(chain.target)!, chain.dataSource!, ctx.violations);
  }
}

async function endOfRun(handle: WorkflowHandle): Promise<Pick<RunRecord, 'status' | 'result' | 'failure'>> {
  try {
    return { status: 'COMPLETED', result: await handle.result() };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = err.cause;
    const failure =
      cause instanceof ApplicationFailure
        ? { type: cause.type ?? 'ApplicationFailure', message: cause.message }
        : { type: cause?.name ?? 'WorkflowFailed', message: cause?.message ?? err.message };
    const result = resultInFailure(err);
    return { status: 'FAILED', failure, ...(result !== undefined ? { result } : {}) };
  }
}

// ---- kills ---------------------------------------------------------------------------------------

interface PendingActivityRaw {
  activityId?: string | null;
  activityType?: { name?: string | null } | null;
  state?: number | null;
  attempt?: number | null;
  lastWorkerIdentity?: string | null;
}

/**
 * Picks the worker to kill. Mostly one that is running an activity right now (Temporal's pending
 * activity says which worker identity started it), looked for for up to ~4 s; otherwise any ready
 * worker. Some kill points look for a worker that is staging a dictionary first (the staging of a
 * URL source runs for seconds): the one activity that used to stall a rollout for minutes.
 */
async function chooseVictim(
  fleet: WorkerFleet,
  open: Map<string, WorkflowHandle>,
  dice: Dice,
): Promise<KillPoint | undefined> {
  const wantMidActivity = dice.chance(0.85);
  const wantStaging = dice.chance(0.4);
  const deadline = Date.now() + 4000;
  while (wantMidActivity && Date.now() < deadline) {
    const ready = fleet.readyWorkers();
    if (ready.length === 0) return undefined;
    const busy = new Map<string, KilledActivity[]>();
    const descriptions = await Promise.all(
      [...open.values()].map((h) =>
        h.describe().then(
          (d) => ({ d, h }),
          () => undefined,
        ),
      ),
    );
    for (const x of descriptions) {
      for (const p of (x?.d.raw.pendingActivities ?? []) as PendingActivityRaw[]) {
        // PENDING_ACTIVITY_STATE_STARTED = 2: a worker is running it right now.
        if (p.state !== 2 || !p.lastWorkerIdentity || !p.activityId) continue;
        const list = busy.get(p.lastWorkerIdentity) ?? [];
        list.push({
          workflowId: x!.h.workflowId,
          activity: p.activityType?.name ?? '?',
          activityId: p.activityId,
          attempt: p.attempt ?? 1,
        });
        busy.set(p.lastWorkerIdentity, list);
      }
    }
    const staging = ready.filter((w) => busy.get(w.identity)?.some((a) => a.activity === 'stageDictionary'));
    const candidates = wantStaging ? staging : ready.filter((w) => busy.has(w.identity));
    // Looking for staging: keep looking until the deadline, then take any busy worker.
    if (candidates.length > 0 || (wantStaging && Date.now() + 100 >= deadline)) {
      const pool = candidates.length > 0 ? candidates : ready.filter((w) => busy.has(w.identity));
      if (pool.length > 0) {
        const w = dice.pick(pool);
        const killed = busy.get(w.identity)!;
        const shown = killed.find((a) => a.activity === 'stageDictionary') ?? killed[0]!;
        return {
          at: Date.now() - started,
          worker: w.name,
          pid: w.pid,
          mode: 'mid-activity',
          othersReady: ready.length - 1,
          activity: shown.activity,
          workflowId: shown.workflowId,
          killed,
        };
      }
    }
    await sleep(50);
  }
  const ready = fleet.readyWorkers();
  if (ready.length === 0) return undefined;
  const w = dice.pick(ready);
  return {
    at: Date.now() - started,
    worker: w.name,
    pid: w.pid,
    mode: 'random point',
    othersReady: ready.length - 1,
  };
}

async function pendingSummary(client: Client, workflowId: string): Promise<string> {
  const d = await client.workflow
    .getHandle(workflowId)
    .describe()
    .catch(() => undefined);
  const pending = (d?.raw.pendingActivities ?? []) as Array<
    PendingActivityRaw & { attempt?: number | null; lastFailure?: { message?: string | null } | null }
  >;
  return (
    pending
      .map(
        (p) =>
          `${p.activityType?.name} attempt ${p.attempt} state ${p.state} ${p.lastFailure?.message ?? ''}`,
      )
      .join('; ') || 'no pending activity'
  );
}

// ---- summary -------------------------------------------------------------------------------------

interface SummaryInput {
  options: ChaosOptions;
  records: RunRecord[];
  kills: KillPoint[];
  stalls: Stall[];
  serverRestarts: Array<{ at: number; openRollouts: number; signal: 'SIGKILL' | 'SIGTERM' }>;
  fleet: WorkerFleet;
  chaosCalls: CallRecord[];
  hostile: HostileReport;
  scan: ScanReport;
  violations: Violations;
  seconds: number;
}

function makeSummary(s: SummaryInput) {
  const byKind: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  for (const r of s.records) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
    const outcome =
      (r.result as { outcome?: string; status?: string } | undefined)?.outcome ??
      (r.result as { status?: string } | undefined)?.status ??
      r.failure?.type ??
      r.status ??
      '?';
    outcomes[`${r.kind}:${outcome}`] = (outcomes[`${r.kind}:${outcome}`] ?? 0) + 1;
  }
  const faults: Record<string, number> = {};
  for (const c of s.chaosCalls) if (c.fault) faults[c.fault] = (faults[c.fault] ?? 0) + 1;
  return {
    seed: s.options.seed,
    size: s.options.size,
    seconds: Math.round(s.seconds),
    rollouts: { total: s.records.length, byKind, outcomes },
    killPoints: {
      total: s.kills.length,
      midActivity: s.kills.filter((k) => k.mode === 'mid-activity').length,
      midActivityWithSecondWorker: s.kills.filter((k) => k.mode === 'mid-activity' && k.othersReady > 0)
        .length,
      activities: [...new Set(s.kills.map((k) => k.activity).filter(Boolean))],
      duringStaging: s.kills.filter((k) => k.killed?.some((a) => a.activity === 'stageDictionary')).length,
    },
    longestStallByActivity: longestStalls(s.stalls),
    stalls: s.stalls,
    workerStarts: s.fleet.starts,
    unexpectedWorkerExits: {
      atStart: s.fleet.unexpectedExits.filter((x) => x.atStart).length,
      whileRunning: s.fleet.unexpectedExits.filter((x) => !x.atStart).length,
    },
    serverRestarts: s.serverRestarts,
    faultsInjected: {
      total: Object.values(faults).reduce((a, b) => a + b, 0),
      byKind: faults,
      awsCalls: s.chaosCalls.length,
    },
    inputsTried: { total: s.hostile.tried, distinct: s.hostile.distinct, byWay: s.hostile.byWay },
    historiesScanned: {
      histories: s.scan.histories,
      events: s.scan.events,
      payloads: s.scan.payloads,
      findings: s.scan.findings.length,
    },
    invariantsChecked: {
      checks: s.violations.checks,
      invariants: Object.fromEntries(s.violations.byInvariant),
    },
    violations: s.violations.list,
    killLog: s.kills,
  };
}

const FAULT_LABELS: Array<[string, string]> = [
  ['throttle', 'throttled'],
  ['internal', '500s'],
  ['lost-response', 'lost responses'],
  ['latency', 'added latency only'],
  ['reset-before', 'resets before applying'],
  ['reset-after', 'resets after applying'],
  ['hang', 'hung connections'],
];

function printSummary(summary: ReturnType<typeof makeSummary>, violations: Violations) {
  const lines = [
    '',
    `chaos summary (seed ${summary.seed}, ${summary.size}, ${summary.seconds} s)`,
    `  rollouts run:        ${summary.rollouts.total} (${Object.entries(summary.rollouts.byKind)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  outcomes:            ${Object.entries(summary.rollouts.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
    `  kill points:         ${summary.killPoints.total} worker SIGKILLs (${summary.killPoints.midActivity} mid-activity, ${summary.killPoints.midActivityWithSecondWorker} of them with the second worker polling; in ${summary.killPoints.activities.join(', ')}), ${summary.workerStarts} worker starts; exits not caused by the suite: ${summary.unexpectedWorkerExits.atStart} at start while the server was down, ${summary.unexpectedWorkerExits.whileRunning} while running`,
    `  kills in staging:    ${summary.killPoints.duringStaging} (a worker SIGKILLed while it ran stageDictionary)`,
    `  longest stall:       kill -> retry scheduled, per activity: ${Object.entries(
      summary.longestStallByActivity,
    )
      .map(
        ([activity, r]) =>
          `${activity} ${r.overOutage === r.kills ? 'n/a' : `${(r.longestMs / 1000).toFixed(1)} s`} (bound ${r.boundMs === undefined ? '?' : `${r.boundMs / 1000} s`}; running again ${r.overOutage === r.kills ? 'n/a' : `${(r.longestRunningMs / 1000).toFixed(1)} s`}; ${r.kills} kill${r.kills === 1 ? '' : 's'}${r.overOutage ? `, ${r.overOutage} across a server outage not counted` : ''})`,
      )
      .join('; ')}`,
    `  server SIGKILLs:     ${summary.serverRestarts.filter((r) => r.signal === 'SIGKILL').length} (killed and restarted on the same database file with ${
      summary.serverRestarts
        .filter((r) => r.signal === 'SIGKILL')
        .map((r) => r.openRollouts)
        .join(' and ') || 'no'
    } rollouts open)`,
    `  server restarts:     ${summary.serverRestarts.filter((r) => r.signal === 'SIGTERM').length} (stopped with SIGTERM and restarted with ${
      summary.serverRestarts
        .filter((r) => r.signal === 'SIGTERM')
        .map((r) => r.openRollouts)
        .join(' and ') || 'no'
    } rollouts open)`,
    `  faults injected:     ${summary.faultsInjected.total} on ${summary.faultsInjected.awsCalls} AWS calls (${FAULT_LABELS.map(
      ([kind, label]) => `${label} ${summary.faultsInjected.byKind[kind] ?? 0}`,
    ).join(', ')})`,
    `  inputs tried:        ${summary.inputsTried.total} (${summary.inputsTried.distinct} distinct; ${Object.entries(
      summary.inputsTried.byWay,
    )
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')})`,
    `  histories scanned:   ${summary.historiesScanned.histories} (${summary.historiesScanned.events} events, ${summary.historiesScanned.payloads} payloads decrypted and scanned), ${summary.historiesScanned.findings} secrets found`,
    `  invariants checked:  ${summary.invariantsChecked.checks} checks of ${Object.keys(summary.invariantsChecked.invariants).length} invariants`,
    `  violations:          ${violations.list.length}`,
    ...violations.list.slice(0, 40).map((x) => `    - [${x.invariant}] ${x.detail}`),
    `  replay:              npm run chaos -- --seed ${summary.seed}${summary.size === 'quick' ? ' --quick' : ''}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
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
