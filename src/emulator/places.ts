/**
 * The emulator's places: one set of OpenSearch Service, IoT and CloudWatch state per (account,
 * Region), as on AWS, where custom packages, domains, alarms and quotas are all per account and
 * Region. A request's place is its SigV4 scope's Region and its access key's account (sts.ts);
 * a place comes into being with its first request or control call. S3 is one service across places
 * (bucket names are global, each bucket belongs to a place: s3.ts). The default place (the
 * emulator's --region and --account-id) is the one every request with ordinary credentials and the
 * default Region meets, exactly as before places existed.
 */
import { CloudWatchService, type SavedAlarm } from './cloudwatch.js';
import { IotService, type SavedIot } from './iot.js';
import { OpenSearchService } from './opensearch.js';
import type { SavedOpenSearch } from './opensearch-snapshot.js';
import type { S3Service } from './s3.js';
import type { DomainBacking, Durations, PlaceSelector } from './types.js';
import { accountOfRoleArn } from './sts-roles.js';

export interface PlaceId {
  account: string;
  region: string;
}

export class EmulatorPlace {
  readonly opensearch: OpenSearchService;
  readonly iot: IotService;
  readonly cloudwatch: CloudWatchService;

  constructor(
    readonly account: string,
    readonly region: string,
    env: { durations: () => Durations; s3: S3Service },
  ) {
    this.opensearch = new OpenSearchService({ region, accountId: account, ...env });
    this.iot = new IotService({ region, accountId: account });
    this.cloudwatch = new CloudWatchService({ region, accountId: account });
  }

  reset(): void {
    this.opensearch.reset();
    this.iot.reset();
    this.cloudwatch.reset();
  }

  /** Nothing created here yet: not worth a line in the state file. */
  isEmpty(): boolean {
    return (
      this.opensearch.domains.byName.size === 0 &&
      this.opensearch.packages.byId.size === 0 &&
      this.opensearch.applications.save().applications.length === 0 &&
      this.iot.snapshot().length === 0 &&
      this.cloudwatch.snapshot().length === 0
    );
  }
}

/** What the state file keeps of one place (the default place's OpenSearch and IoT stay where they were). */
export interface SavedPlace {
  account: string;
  region: string;
  opensearch: SavedOpenSearch;
  iot: SavedIot;
  alarms: SavedAlarm[];
  /** Domain name -> the real node backing it. */
  backings: Record<string, DomainBacking>;
}

const REGION = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d{1,2}$/;
const ACCOUNT = /^\d{12}$/;

export class PlaceRegistry {
  readonly defaultPlace: EmulatorPlace;
  private readonly byKey = new Map<string, EmulatorPlace>();

  constructor(
    defaultId: PlaceId,
    private readonly env: { durations: () => Durations; s3: S3Service },
  ) {
    this.defaultPlace = new EmulatorPlace(defaultId.account, defaultId.region, env);
    this.byKey.set(key(defaultId), this.defaultPlace);
  }

  /** The place of (account, Region), made on first use. */
  get(id: PlaceId): EmulatorPlace {
    let place = this.byKey.get(key(id));
    if (!place) {
      place = new EmulatorPlace(id.account, id.region, this.env);
      this.byKey.set(key(id), place);
    }
    return place;
  }

  all(): EmulatorPlace[] {
    return [...this.byKey.values()];
  }

  /** Every place but the default one forgotten; the default one emptied. */
  reset(): void {
    for (const place of this.byKey.values()) place.reset();
    this.byKey.clear();
    this.byKey.set(key(this.defaultPlace), this.defaultPlace);
  }

  /** The place a control call's selector names; the default account or Region where it names none. */
  select(selector: PlaceSelector): EmulatorPlace {
    return this.get(this.resolve(selector));
  }

  resolve(selector: PlaceSelector): PlaceId {
    const region = selector.region ?? this.defaultPlace.region;
    let account = selector.account;
    if (selector.roleArn !== undefined) {
      const ofRole = accountOfRoleArn(selector.roleArn);
      if (ofRole === undefined) throw new Error(`roleArn ${selector.roleArn} is not an IAM role ARN`);
      if (account !== undefined && account !== ofRole)
        throw new Error(`account ${account} is not the account of roleArn ${selector.roleArn}`);
      account = ofRole;
    }
    account ??= this.defaultPlace.account;
    if (!REGION.test(region))
      throw new Error(`region must be an AWS Region name such as eu-west-1, got ${region}`);
    if (!ACCOUNT.test(account)) throw new Error(`account must be a 12-digit AWS account id, got ${account}`);
    return { account, region };
  }
}

function key(id: PlaceId): string {
  return `${id.account}/${id.region}`;
}
