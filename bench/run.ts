/**
 * `npm run bench` — what durability costs and how rollouts scale (issue 10). Starts its own
 * Temporal dev server, AWS emulator and worker process; prints a Markdown table per scenario and
 * writes them, with the machine's description, to bench/results/<date>-<commit>.md.
 *
 *   npm run bench                 # the full run (~8 min on 2 cores)
 *   npm run bench -- --quick      # small N and short latencies: a smoke check in about a minute
 *   npm run bench -- --only 1,3   # some scenarios only (numbers or names, see SCENARIOS)
 *   npm run bench -- --only emulator   # the AWS emulator alone (scenario 7, no Temporal)
 *   npm run bench -- --only fleet      # 1,000 domains in 10 places against 1 place (scenario 9)
 *   npm run bench -- --no-write   # print only
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { apiCalls } from './scenarios/api-calls.js';
import { costOfDurability } from './scenarios/durability.js';
import { emulatorScenario } from './scenarios/emulator.js';
import { historyGrowth } from './scenarios/history.js';
import { longWait } from './scenarios/long-wait.js';
import { manyRollouts } from './scenarios/many-rollouts.js';
import { rateLimitScenario } from './scenarios/rate-limit.js';
import { againstSequential } from './scenarios/sequential.js';
import { fleetScenario } from './scenarios/fleet.js';
import { FULL, QUICK, type BenchContext, type ScenarioReport } from './lib/context.js';
import { seconds } from './lib/format.js';
import { describeError } from './lib/errors.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { REPO_ROOT } from './lib/processes.js';
import { runDurable, runScript, type RolloutSpec, type RunFigures } from './lib/rollouts.js';
import { startBenchStack, type BenchStack } from './lib/stack.js';

interface Scenario {
  id: number;
  name: string;
  run(ctx: BenchContext): Promise<ScenarioReport>;
  /** false: runs without the Temporal dev server, emulator process and worker. */
  needsStack?: false;
}

const SCENARIOS: Scenario[] = [
  { id: 1, name: 'durability', run: costOfDurability },
  { id: 2, name: 'sequential', run: againstSequential },
  { id: 3, name: 'history', run: historyGrowth },
  { id: 4, name: 'api-calls', run: apiCalls },
  { id: 5, name: 'many', run: manyRollouts },
  { id: 6, name: 'long-wait', run: longWait },
  { id: 7, name: 'emulator', run: (ctx) => emulatorScenario(ctx.config, ctx.log), needsStack: false },
  { id: 8, name: 'rate-limit', run: rateLimitScenario },
  { id: 9, name: 'fleet', run: fleetScenario },
];

function selectScenarios(only: string | undefined): Scenario[] {
  if (!only) return SCENARIOS;
  const wanted = only.split(',').map((s) => s.trim().toLowerCase());
  const unknown = wanted.filter((w) => !SCENARIOS.some((s) => String(s.id) === w || s.name === w));
  if (unknown.length)
    throw new Error(
      `--only: unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => `${s.id} (${s.name})`).join(', ')}`,
    );
  return SCENARIOS.filter((s) => wanted.includes(String(s.id)) || wanted.includes(s.name));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const config = values.quick ? QUICK : FULL;
  const selected = selectScenarios(values.only);
  const t0 = performance.now();
  const log = (m: string) =>
    process.stderr.write(`[bench ${seconds(performance.now() - t0).padStart(7)}] ${m}\n`);

  const machine = await describeMachine();
  const loadAtStart = loadAverage();
  const startedAt = new Date();
  const stack = selected.some((s) => s.needsStack !== false) ? await startBenchStack(log) : undefined;
  const reports: ScenarioReport[] = [];
  const failures: string[] = [];
  try {
    const memo = new Map<string, Promise<RunFigures>>();
    const cached = (kind: string, spec: RolloutSpec, run: () => Promise<RunFigures>) => {
      const key = `${kind}:${JSON.stringify(spec)}`;
      let p = memo.get(key);
      if (!p) memo.set(key, (p = run()));
      return p;
    };
    const needStack = (): BenchStack => {
      if (!stack) throw new Error('this scenario needs the Temporal stack');
      return stack;
    };
    const ctx: BenchContext = {
      config,
      get stack() {
        return needStack();
      },
      log,
      durable: (spec) => cached('durable', spec, () => runDurable(needStack(), spec)),
      script: (spec) => cached('script', spec, () => runScript(needStack(), spec)),
      sequential: (spec) => cached('sequential', spec, () => runScript(needStack(), spec, 'sequential')),
      specAt: (
        n,
        associationMs = config.associationMs,
        pollIntervalSeconds = config.pollIntervalSeconds,
      ) => ({
        domains: n,
        maxConcurrency: config.maxConcurrency,
        associationMs,
        pollIntervalSeconds,
      }),
    };
    if (stack) {
      // The first rollout of a fresh worker pays for creating the workflow sandbox and JIT warm-up
      // (~0.4 s more than later ones); the first script run pays for the SDK's first requests.
      // Neither is a cost of durability: warm both up once, unmeasured.
      log('warm-up: one small durable rollout and one script run (not measured)...');
      const warm: RolloutSpec = { domains: 2, maxConcurrency: 2, associationMs: 100, pollIntervalSeconds: 1 };
      await runDurable(stack, warm);
      await runScript(stack, warm);
    }
    for (const scenario of selected) {
      const load = loadAverage();
      const t = performance.now();
      try {
        const report = await scenario.run(ctx);
        report.notes.push(
          `Scenario time ${seconds(performance.now() - t)}; load average at its start ${load}.`,
        );
        reports.push(report);
        process.stdout.write(`${renderScenario(report)}\n`);
      } catch (err) {
        const message = `scenario ${scenario.id} (${scenario.name}) failed: ${describeError(err)}`;
        log(message);
        failures.push(message);
      }
    }
  } catch (err) {
    await stopStack(stack, log);
    throw err;
  }

  const totalMs = performance.now() - t0;
  const loadAtEnd = loadAverage();
  const header = [
    `# Benchmark run ${startedAt.toISOString()}${config.quick ? ' (--quick)' : ''}`,
    '',
    `Command: \`npm run bench${config.quick ? ' -- --quick' : ''}${values.only ? ` -- --only ${values.only}` : ''}\` — total ${seconds(totalMs)}.`,
    '',
    '| machine | |',
    '|---|---|',
    `| CPU | ${machine.cpuModel} |`,
    `| cores | ${machine.cores} |`,
    `| memory | ${machine.memory} |`,
    `| OS | ${machine.os} |`,
    `| Node.js | ${machine.node} |`,
    `| Temporal CLI | ${machine.temporalCli.replace(/\n/g, ' ')} (dev server, in-memory SQLite) |`,
    `| commit | ${machine.commit} |`,
    `| load average (1/5/15 min) | start ${loadAtStart}; end ${loadAtEnd} |`,
    '',
    busyNote(loadAtStart, loadAtEnd, machine.cores),
    '',
  ].join('\n');
  const body = reports.map(renderScenario).join('\n');
  const failed = failures.length
    ? `\n## Failures\n\n${failures.map((f) => `    ${f.replace(/\n/g, '\n    ')}`).join('\n\n')}\n`
    : '';
  const document = `${header}\n${body}${failed}`;
  process.stdout.write(`\n${header}`);
  if (!values['no-write']) {
    const dir = join(REPO_ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const date = startedAt.toISOString().slice(0, 10);
    const short = machine.commit.split(' ')[0];
    const file = join(
      dir,
      `${date}-${short}${config.quick ? '-quick' : ''}${values.only ? `-only-${values.only.replace(/,/g, '')}` : ''}.md`,
    );
    writeFileSync(file, document);
    log(`written to ${file}`);
  }
  // Stopped only now, so that nothing going wrong while stopping can lose the figures.
  await stopStack(stack, log);
  if (failures.length) process.exitCode = 1;
}

/**
 * Stops the dev server, emulator and workers. A gRPC call of the client that was still retrying
 * when its connection closed throws "Channel has been shut down" from a timer; once the figures are
 * written that is noise, so it is logged rather than allowed to crash the process.
 */
async function stopStack(stack: BenchStack | undefined, log: (m: string) => void): Promise<void> {
  if (!stack) return;
  process.on('uncaughtException', (err) => {
    if (err instanceof Error && /Channel has been shut down/.test(err.message))
      log(`ignored after the client closed: ${err.message}`);
    else {
      console.error(err);
      process.exit(1);
    }
  });
  await stack.stop();
}

function renderScenario(r: ScenarioReport): string {
  const parts = [`## Scenario ${r.id}: ${r.title}`, '', r.setup, '', r.table, ''];
  for (const m of r.more ?? []) parts.push(`${m.caption}:`, '', m.table, '');
  for (const n of r.notes) parts.push(`- ${n}`);
  parts.push('');
  return parts.join('\n');
}

function busyNote(start: string, end: string, cores: number): string {
  const first = (s: string) => Number(s.split(' / ')[0]);
  const busy = Math.max(first(start), first(end)) > cores * 0.5;
  return busy
    ? `Note: the machine was busy (1-minute load average above half the ${cores} cores at the start or the end; other engineers' tests share it): absolute times carry that noise; ratios between runs made minutes apart carry less.`
    : `The machine was quiet at the start and at the end (1-minute load average at most half the ${cores} cores).`;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
