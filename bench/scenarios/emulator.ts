import { runEmulatorBench, type LatencySummary, type ProbeFigures } from '../emulator-bench.js';
import type { BenchConfig, ScenarioReport } from '../lib/context.js';
import { bytes, markdownTable, median, seconds } from '../lib/format.js';
import type { Log } from '../lib/stack.js';

const ms = (s: LatencySummary) => `${s.meanMs.toFixed(2)} ms`;
const p99 = (s: LatencySummary) => `${s.p99Ms.toFixed(2)} ms`;

/**
 * Scenario 7 (`--only emulator`): the AWS emulator itself, in this process (bench/emulator-bench.ts):
 * start-up, and per-call latency with 1 domain against `domains` domains × 20 packages.
 */
export async function emulatorScenario(config: BenchConfig, log: Log): Promise<ScenarioReport> {
  const f = await runEmulatorBench({ domains: config.emulatorDomains, log });
  const large = new Map(f.large.map((p) => [p.label, p]));
  const row = (small: ProbeFigures) => {
    const big = large.get(small.label);
    return [
      small.label,
      ms(small.roundTrip),
      big ? ms(big.roundTrip) : undefined,
      ms(small.handling),
      big ? ms(big.handling) : undefined,
      big ? p99(big.handling) : undefined,
    ];
  };
  const extra = f.large.filter((p) => !f.small.some((s) => s.label === p.label));
  const rows = [
    ...f.small.map(row),
    ...extra.map((p) => [p.label, undefined, ms(p.roundTrip), undefined, ms(p.handling), p99(p.handling)]),
  ];
  const associateRate = (f.associateCalls / f.associateMs) * 1000;
  return {
    id: 7,
    title: 'The AWS emulator',
    setup:
      `bench/emulator-bench.ts, in the benchmark's process (no Temporal): start-up time, then ${f.samples} sequential calls ` +
      `per operation through the real AWS SDK client, first with 1 domain and 20 packages, then after seeding ` +
      `${f.domains} domains and associating each with all ${f.packagesPerDomain} packages (` +
      `${f.associateCalls.toLocaleString('en-US')} associations, association latency 0). "Handling" is the emulator's ` +
      `own time per call from its call log; "round trip" adds the SDK and HTTP.`,
    table: markdownTable(
      [
        'operation',
        'round trip, 1 domain',
        `round trip, ${f.domains} domains`,
        'handling, 1 domain',
        `handling, ${f.domains} domains`,
        `handling p99, ${f.domains} domains`,
      ],
      rows,
    ),
    more: [
      {
        caption: 'Start-up and bulk operations',
        table: markdownTable(
          ['figure', 'value'],
          [
            [
              'start-up, `node --import tsx src/emulator/main.ts` to "listening" (median of 3)',
              `${median(f.cliStartupMs).toFixed(0)} ms`,
            ],
            [
              'start-up, `startEmulator()` in process (median of 5)',
              `${median(f.inProcessStartupMs).toFixed(1)} ms`,
            ],
            [`seed ${f.domains} domains (control API)`, `${f.seedMs.toFixed(0)} ms`],
            [
              `${f.associateCalls.toLocaleString('en-US')} AssociatePackage calls, ${f.associateInFlight} in flight`,
              `${seconds(f.associateMs)} (${associateRate.toFixed(0)} calls/s)`,
            ],
            [
              `state snapshot (${f.snapshot.domains} domains, ${f.snapshot.associations.toLocaleString('en-US')} associations)`,
              `${f.snapshot.ms.toFixed(0)} ms`,
            ],
            ['RSS of the process (emulator + benchmark client)', bytes(f.rssBytes)],
          ],
        ),
      },
    ],
    notes: [],
  };
}
