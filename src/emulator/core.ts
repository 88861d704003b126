import { randomInt } from 'node:crypto';
import { CallLog } from './call-log.js';
import { CloudWatchService } from './cloudwatch.js';
import { EmulatorClock } from './clock.js';
import { FaultInjector } from './faults.js';
import { IotService } from './iot.js';
import { OpenSearchService } from './opensearch.js';
import { RateLimiter } from './rate-limits.js';
import { StateWriter, STATE_FORMAT, type SavedState } from './persistence.js';
import { SeededRandom } from './prng.js';
import { S3Service } from './s3.js';
import type { Durations, EmulatorStateSnapshot } from './types.js';

export interface CoreOptions {
  region: string;
  accountId: string;
  /** The durations reset() returns to: the built-in defaults overridden by the startup options. */
  durations: Durations;
  /** The durations the caller chose explicitly: they win over durations saved in the state file. */
  durationOverrides?: Partial<Durations>;
  seed?: number;
  stateFile?: string;
}

/** All emulated state and the machinery around it, independent of HTTP. */
export class EmulatorCore {
  readonly region: string;
  readonly accountId: string;
  readonly clock = new EmulatorClock();
  readonly random: SeededRandom;
  readonly faults: FaultInjector;
  readonly calls = new CallLog();
  readonly rateLimits = new RateLimiter();
  readonly s3: S3Service;
  readonly opensearch: OpenSearchService;
  readonly iot: IotService;
  readonly cloudwatch: CloudWatchService;
  durations: Durations;
  private readonly initialDurations: Durations;
  private readonly durationOverrides: Partial<Durations>;
  private readonly writer: StateWriter | undefined;

  constructor(options: CoreOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.initialDurations = { ...options.durations };
    this.durations = { ...options.durations };
    this.durationOverrides = { ...options.durationOverrides };
    // Without a seed each run rolls differently; with one, a chaos run replays.
    this.random = new SeededRandom(options.seed ?? randomInt(0, 2 ** 31));
    this.faults = new FaultInjector(this.random);
    this.s3 = new S3Service(this.region);
    this.opensearch = new OpenSearchService({
      region: this.region,
      accountId: this.accountId,
      durations: () => this.durations,
      s3: this.s3,
    });
    this.iot = new IotService({ region: this.region, accountId: this.accountId });
    this.cloudwatch = new CloudWatchService({ region: this.region, accountId: this.accountId });
    this.writer = options.stateFile ? new StateWriter(options.stateFile, () => this.save()) : undefined;
  }

  now(): number {
    return this.clock.now();
  }

  /** On a real-time tick: what moves with the clock alone and must show outside (backed domains' files). */
  tick(): void {
    this.opensearch.syncBackings(this.now());
  }

  /** Everything back to a fresh start, including the dice, so a seeded run can be repeated. */
  reset(): void {
    this.opensearch.reset();
    this.iot.reset();
    this.s3.reset();
    this.cloudwatch.reset();
    this.faults.clear();
    this.rateLimits.clear();
    this.calls.clear();
    this.clock.reset();
    this.random.reset();
    this.durations = { ...this.initialDurations };
    this.markDirty();
  }

  setDurations(change: Partial<Durations>): Durations {
    this.durations = { ...this.durations, ...change };
    this.markDirty();
    return { ...this.durations };
  }

  markDirty(): void {
    this.writer?.markDirty();
  }

  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  snapshot(): EmulatorStateSnapshot {
    const now = this.now();
    const { domains, packages } = this.opensearch.snapshot(now);
    const { applications, attachments } = this.opensearch.applications.snapshot(now);
    return {
      clock: this.clock.read(),
      durations: { ...this.durations },
      opensearch: {
        domains,
        packages,
        applications,
        attachments,
        dataSourceStatuses: this.opensearch.applications.dataSourceStatuses(),
      },
      iot: { packages: this.iot.snapshot() },
      s3: { buckets: this.s3.snapshot() },
    };
  }

  save(): SavedState {
    return {
      format: STATE_FORMAT,
      savedAt: new Date().toISOString(),
      clock: this.clock.save(),
      durations: { ...this.durations },
      opensearch: this.opensearch.save(),
      iot: this.iot.save(),
      s3: this.s3.save(),
    };
  }

  restore(saved: SavedState): void {
    this.clock.restore(saved.clock);
    this.durations = { ...this.initialDurations, ...saved.durations, ...this.durationOverrides };
    this.s3.restore(saved.s3);
    this.opensearch.restore(saved.opensearch);
    this.iot.restore(saved.iot);
  }
}
