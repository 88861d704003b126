import type { RolloutSpec, RunFigures } from './rollouts.js';
import type { BenchStack, Log } from './stack.js';

export interface BenchConfig {
  quick: boolean;
  /** Scenario 1/3/4: rollout sizes at `associationMs`, window `maxConcurrency`, `pollIntervalSeconds`. */
  sizes: number[];
  associationMs: number;
  maxConcurrency: number;
  pollIntervalSeconds: number;
  /** Scenario 2: sizes measured with the sequential script (larger ones are extrapolated). */
  sequentialSizes: number[];
  /**
   * Scenario 3: association latencies at `latencyDomains` domains, each with its poll interval.
   * A polling activity inherits `maximumAttempts: 20` from the workflow's call options (see
   * docs/benchmarks.md), so a wait of more than ~20 poll intervals fails: 30 s is measured at a
   * 1 s poll (to show it) and at a 2 s poll (16 polls per window, to measure the history).
   */
  latencies: Array<{ associationMs: number; pollIntervalSeconds: number }>;
  latencyDomains: number;
  /**
   * Scenario 5: `rollouts` × `domains` measured. Each rollout needs a package of its own (one run
   * per package at a time), and the emulator, like AWS, allows 25 custom packages per Region; so
   * 25 × 40 is measured and the 50 × 20 of the issue is `attempt`ed to show what happens.
   */
  many: {
    rollouts: number;
    domains: number;
    maxConcurrency: number;
    attempt?: { rollouts: number; domains: number };
    /** One batch per worker activity-slot count (100 is the worker's default). */
    workerSlots: number[];
  };
  /** Scenario 6: the attachment stays PENDING this long on the emulator clock, passing in `realMs`. */
  longWait: { emulatedMs: number; realMs: number; pollIntervalSeconds: number };
  /** Scenario 7 (the emulator alone): domains seeded, each associated with 20 packages. */
  emulatorDomains: number;
  /** Scenario 8: `rollouts` × `domains` against an OpenSearch limit of `ratePerSecond` requests/s. */
  rateLimit: { rollouts: number; domains: number; ratePerSecond: number; associationMs: number };
}

/**
 * Poll intervals are 1 s, never less: the Temporal server fires no timer (activity retry backoffs
 * included) sooner than `history.timerProcessorMaxTimeShift` (1 s by default) after it is created,
 * so a polling activity retried every 0.1 s or 0.5 s actually polls every ~1 s, while the plain
 * script would honour the shorter interval: the comparison would measure that floor, not
 * durability. docs/benchmarks.md shows the trace.
 */
export const FULL: BenchConfig = {
  quick: false,
  sizes: [10, 100, 1000],
  associationMs: 2000,
  maxConcurrency: 50,
  pollIntervalSeconds: 1,
  sequentialSizes: [10, 40],
  latencies: [
    { associationMs: 100, pollIntervalSeconds: 1 },
    { associationMs: 2000, pollIntervalSeconds: 1 },
    { associationMs: 30_000, pollIntervalSeconds: 1 },
    { associationMs: 30_000, pollIntervalSeconds: 2 },
  ],
  latencyDomains: 100,
  many: {
    rollouts: 25,
    domains: 40,
    maxConcurrency: 10,
    attempt: { rollouts: 50, domains: 20 },
    workerSlots: [100, 300],
  },
  // 3 s polls over 45 s: 15-16 polls, under the 20 attempts the polling activity inherits (see latencies).
  longWait: { emulatedMs: 24 * 3600_000 - 3600_000, realMs: 45_000, pollIntervalSeconds: 3 },
  emulatorDomains: 1000,
  rateLimit: { rollouts: 25, domains: 40, ratePerSecond: 20, associationMs: 3000 },
};

export const QUICK: BenchConfig = {
  quick: true,
  sizes: [5, 20],
  associationMs: 500,
  maxConcurrency: 10,
  pollIntervalSeconds: 1,
  sequentialSizes: [2, 5],
  latencies: [
    { associationMs: 100, pollIntervalSeconds: 1 },
    { associationMs: 500, pollIntervalSeconds: 1 },
    { associationMs: 2000, pollIntervalSeconds: 1 },
  ],
  latencyDomains: 20,
  many: { rollouts: 5, domains: 4, maxConcurrency: 2, workerSlots: [100] },
  longWait: { emulatedMs: 6 * 3600_000, realMs: 4000, pollIntervalSeconds: 1 },
  emulatorDomains: 100,
  rateLimit: { rollouts: 4, domains: 5, ratePerSecond: 10, associationMs: 500 },
};

export interface ScenarioReport {
  id: number;
  title: string;
  /** One paragraph: what ran, with which settings. */
  setup: string;
  table: string;
  /** Observations printed under the table (ideal vs measured, explanations). */
  notes: string[];
  /** Extra tables (e.g. the latency half of scenario 3). */
  more?: Array<{ caption: string; table: string }>;
}

export interface BenchContext {
  config: BenchConfig;
  stack: BenchStack;
  log: Log;
  /** Runs are shared between scenarios (scenario 3 and 4 read scenario 1's runs). */
  durable(spec: RolloutSpec): Promise<RunFigures>;
  script(spec: RolloutSpec): Promise<RunFigures>;
  sequential(spec: RolloutSpec): Promise<RunFigures>;
  /** spec at size n with the config's latency, window and poll interval. */
  specAt(n: number, associationMs?: number, pollIntervalSeconds?: number): RolloutSpec;
}
