import { randomInt } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { CallLog } from './call-log.js';
import type { CloudWatchService } from './cloudwatch.js';
import { EmulatorClock } from './clock.js';
import { FaultInjector } from './faults.js';
import type { IotService } from './iot.js';
import type { OpenSearchService } from './opensearch.js';
import { PlaceRegistry, type EmulatorPlace, type SavedPlace } from './places.js';
import { RateLimiter, regionOfCredential } from './rate-limits.js';
import { StateWriter, STATE_FORMAT, type SavedState } from './persistence.js';
import { SeededRandom } from './prng.js';
import { S3Service } from './s3.js';
import { StsService, type Caller } from './sts.js';
import type { Durations, EmulatorStateSnapshot, PlaceSelector, RoleSpec } from './types.js';

export interface CoreOptions {
  region: string;
  accountId: string;
  /** The durations reset() returns to: the built-in defaults overridden by the startup options. */
  durations: Durations;
  /** The durations the caller chose explicitly: they win over durations saved in the state file. */
  durationOverrides?: Partial<Durations>;
  seed?: number;
  stateFile?: string;
  /** Roles STS lets callers assume from the start (reset() returns to them). */
  roles?: RoleSpec[];
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
  /** S3 of every place (bucket names are global; each bucket belongs to a place). */
  readonly s3: S3Service;
  /** OpenSearch, IoT and CloudWatch state per account and Region; `opensearch` etc. are the default place's. */
  readonly places: PlaceRegistry;
  readonly sts: StsService;
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
    this.s3 = new S3Service({ account: this.accountId, region: this.region });
    this.places = new PlaceRegistry(
      { account: this.accountId, region: this.region },
      { durations: () => this.durations, s3: this.s3 },
    );
    this.sts = new StsService(this.accountId, options.roles ?? []);
    this.writer = options.stateFile ? new StateWriter(options.stateFile, () => this.save()) : undefined;
  }

  get opensearch(): OpenSearchService {
    return this.places.defaultPlace.opensearch;
  }

  get iot(): IotService {
    return this.places.defaultPlace.iot;
  }

  get cloudwatch(): CloudWatchService {
    return this.places.defaultPlace.cloudwatch;
  }

  now(): number {
    return this.clock.now();
  }

  /** The place a request acts in: its SigV4 scope's Region, its access key's account (sts.ts). */
  placeOf(
    headers: IncomingHttpHeaders,
    query: URLSearchParams,
  ): { caller: Caller; region: string; place: EmulatorPlace } {
    const caller = this.sts.callerOf(headers, query);
    const scope = headers.authorization ?? `Credential=${query.get('X-Amz-Credential') ?? ''},`;
    const region = regionOfCredential(scope, this.region);
    return { caller, region, place: this.places.get({ account: caller.account, region }) };
  }

  /** On a real-time tick: what moves with the clock alone and must show outside (backed domains' files). */
  tick(): void {
    const now = this.now();
    for (const place of this.places.all()) place.opensearch.syncBackings(now);
  }

  /** Everything back to a fresh start, including the dice, so a seeded run can be repeated. */
  reset(): void {
    this.places.reset();
    this.s3.reset();
    this.sts.reset();
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

  /** One place's state (the default place's without a selector). */
  snapshot(selector: PlaceSelector = {}): EmulatorStateSnapshot {
    const now = this.now();
    const place = this.places.select(selector);
    const { domains, packages } = place.opensearch.snapshot(now);
    const { applications, attachments } = place.opensearch.applications.snapshot(now);
    return {
      clock: this.clock.read(),
      durations: { ...this.durations },
      opensearch: {
        domains,
        packages,
        applications,
        attachments,
        dataSourceStatuses: place.opensearch.applications.dataSourceStatuses(),
      },
      iot: { packages: place.iot.snapshot() },
      s3: { buckets: this.s3.snapshot({ account: place.account, region: place.region }) },
      place: { account: place.account, region: place.region },
      alarms: place.cloudwatch.snapshot(),
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
      alarms: this.cloudwatch.save(),
      backings: this.opensearch.backings.entries(),
      places: this.places
        .all()
        .filter((p) => p !== this.places.defaultPlace && !p.isEmpty())
        .map(savePlace),
      sts: this.sts.save(),
    };
  }

  restore(saved: SavedState): void {
    this.clock.restore(saved.clock);
    this.durations = { ...this.initialDurations, ...saved.durations, ...this.durationOverrides };
    this.s3.restore(saved.s3);
    this.places.reset();
    restorePlace(this.places.defaultPlace, {
      opensearch: saved.opensearch,
      iot: saved.iot,
      alarms: saved.alarms ?? [],
      backings: saved.backings ?? {},
    });
    for (const p of saved.places ?? []) restorePlace(this.places.get(p), p);
    this.sts.restore(saved.sts);
  }
}

function savePlace(place: EmulatorPlace): SavedPlace {
  return {
    account: place.account,
    region: place.region,
    opensearch: place.opensearch.save(),
    iot: place.iot.save(),
    alarms: place.cloudwatch.save(),
    backings: place.opensearch.backings.entries(),
  };
}

function restorePlace(place: EmulatorPlace, saved: Omit<SavedPlace, 'account' | 'region'>): void {
  place.opensearch.restore(saved.opensearch);
  place.iot.restore(saved.iot);
  place.cloudwatch.restore(saved.alarms);
  for (const [name, backing] of Object.entries(saved.backings)) place.opensearch.backings.set(name, backing);
}
