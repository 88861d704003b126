import type {
  ApplicationStatusValue,
  CallRecord,
  ClockChange,
  ClockReading,
  DataSourceStatusValue,
  DomainBacking,
  DomainConfiguration,
  Durations,
  EmulatorStateSnapshot,
  FaultRule,
  PlaceSelector,
  RoleSpec,
  ServiceName,
  SessionSnapshot,
} from './types.js';
import type { RateLimit, RateLimitCounts, RateLimits } from './rate-limits.js';

export type {
  ApplicationStatusValue,
  CallRecord,
  ClockReading,
  DataSourceStatusValue,
  DomainBacking,
  DomainConfiguration,
  Durations,
  EmulatorStateSnapshot,
  FaultRule,
  PlaceSelector,
  RoleSpec,
  SessionSnapshot,
} from './types.js';

/**
 * Typed client of the emulator's control API (see control-api.ts for the routes). Works from any
 * process: it only needs the emulator's base URL.
 *
 * Without a place it addresses the emulator's default account and Region; `at(place)` gives a
 * client whose domain, alarm, application, state and call-log methods act in (or show) that
 * account and Region, e.g. `control.at({ region: 'eu-west-1', account: '210987654321' })`.
 */
export class EmulatorControl {
  private readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly place: PlaceSelector = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  /** The same emulator, addressing another account and/or Region (`roleArn`: that role's account). */
  at(place: PlaceSelector): EmulatorControl {
    return new EmulatorControl(this.baseUrl, { ...this.place, ...place });
  }

  /** Every account and Region that has had a request or control call, the default first. */
  async places(): Promise<Array<{ account: string; region: string }>> {
    return this.request('GET', 'places');
  }

  /** Roles STS lets callers assume (replacing any of the same ARN); keys it hands out act in the role's account. */
  async registerRoles(roles: RoleSpec[]): Promise<string[]> {
    return (await this.request<{ registered: string[] }>('POST', 'roles', { roles })).registered;
  }

  async roles(): Promise<RoleSpec[]> {
    return this.request('GET', 'roles');
  }

  /** The sessions AssumeRole handed out (key ids, roles, expirations; no secrets). */
  async sessions(): Promise<SessionSnapshot[]> {
    return this.request('GET', 'sessions');
  }

  /** End sessions now (all, or one role's): requests with their keys answer ExpiredToken. */
  async expireSessions(roleArn?: string): Promise<number> {
    const body = roleArn !== undefined ? { roleArn } : {};
    return (await this.request<{ expired: number }>('POST', 'sessions/expire', body)).expired;
  }

  /**
   * Forget every resource, fault rule and call; the clock back to real time at scale 1; durations
   * back to the emulator's startup values (built-in defaults unless startEmulator was given some);
   * the fault PRNG back to its seed.
   */
  async reset(): Promise<void> {
    await this.request('POST', 'reset');
  }

  async getDurations(): Promise<Durations> {
    return this.request<Durations>('GET', 'durations');
  }

  /** Merged into the current durations; applies to operations started from now on. */
  async setDurations(durations: Partial<Durations>): Promise<Durations> {
    return this.request<Durations>('PUT', 'durations', durations);
  }

  /** Domains that exist and are active (not Processing) at once. Existing names are left alone. */
  async seedDomains(domains: Array<{ name: string; engineVersion?: string }>): Promise<string[]> {
    const { created } = await this.request<{ created: string[] }>('POST', 'domains', { domains });
    return created;
  }

  /** Merged into the domain's configuration. Failure flags apply to operations started from now on. */
  async configureDomain(name: string, configuration: DomainConfiguration): Promise<void> {
    await this.request('PUT', `domains/${encodeURIComponent(name)}/configuration`, configuration);
  }

  /**
   * Back a domain by a real OpenSearch node, or stop (null): DescribeDomain answers `endpoint`, and
   * ACTIVE associations write their version's bytes to `<configDir>/analyzers/<PackageID>`.
   */
  async backDomain(name: string, backing: DomainBacking | null): Promise<void> {
    await this.configureDomain(name, { backing });
  }

  async setApplicationStatus(idOrName: string, status: ApplicationStatusValue): Promise<void> {
    await this.request('PUT', `applications/${encodeURIComponent(idOrName)}/status`, { status });
  }

  /**
   * Data sources without an explicit status: an ARN naming one of the emulator's domains is ACTIVE
   * once that domain has stopped processing; any other ARN (another account, region or service)
   * counts as ACTIVE, since the emulator cannot see it.
   */
  async setDataSourceStatus(arn: string, status: DataSourceStatusValue | string): Promise<void> {
    await this.request('PUT', 'data-sources/status', { arn, status });
  }

  async addFault(rule: FaultRule): Promise<string> {
    const { id } = await this.request<{ id: string }>('POST', 'faults', rule);
    return id;
  }

  async faults(): Promise<Array<FaultRule & { id: string }>> {
    return this.request('GET', 'faults');
  }

  async clearFaults(): Promise<void> {
    await this.request('DELETE', 'faults');
  }

  async setClock(change: ClockChange): Promise<ClockReading> {
    return this.request<ClockReading>('POST', 'clock', change);
  }

  async getClock(): Promise<ClockReading> {
    return this.request<ClockReading>('GET', 'clock');
  }

  async calls(filter: { service?: ServiceName | string; operation?: string } = {}): Promise<CallRecord[]> {
    const query = new URLSearchParams();
    if (filter.service) query.set('service', filter.service);
    if (filter.operation) query.set('operation', filter.operation);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    return this.request<CallRecord[]>('GET', `calls${suffix}`);
  }

  /** Keyed "service:Operation", e.g. "es:AssociatePackage". */
  async callCounts(): Promise<Record<string, number>> {
    return this.request<Record<string, number>>('GET', 'calls/counts');
  }

  async clearCalls(): Promise<void> {
    await this.request('DELETE', 'calls');
  }

  async state(): Promise<EmulatorStateSnapshot> {
    return this.request<EmulatorStateSnapshot>('GET', 'state');
  }

  /** Write the state file now instead of waiting for the debounce (no-op without a state file). */
  /** CloudWatch metric alarms (OK unless a state is given); SetAlarmState through the SDK moves them. */
  async createAlarms(
    alarms: Array<{ name: string; state?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; reason?: string }>,
  ): Promise<string[]> {
    return (await this.request<{ created: string[] }>('POST', '/alarms', { alarms })).created;
  }

  async save(): Promise<void> {
    await this.request('POST', 'save');
  }

  /** AWS's rate limits per API family (rate-limits.ts); `null` switches one off. */
  async setRateLimits(change: Partial<Record<ServiceName, RateLimit | null>>): Promise<RateLimits> {
    return (await this.request<{ limits: RateLimits }>('PUT', 'rate-limits', change)).limits;
  }

  async rateLimits(): Promise<{ limits: RateLimits; counts: RateLimitCounts }> {
    return this.request('GET', 'rate-limits');
  }

  async health(): Promise<{ ok: boolean; region: string; accountId: string }> {
    return this.request('GET', 'health');
  }

  private async request<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const [route, search = ''] = path.split('?');
    const query = new URLSearchParams(search);
    for (const [name, value] of Object.entries(this.place)) if (value !== undefined) query.set(name, value);
    const url = `${this.baseUrl}/_emulator/${route!}${query.size > 0 ? `?${query.toString()}` : ''}`;
    const response = await fetch(url, {
      method,
      ...(body !== undefined
        ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }
        : {}),
    });
    const text = await response.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const message =
        parsed && typeof parsed === 'object' && 'error' in parsed
          ? String(parsed.error)
          : response.statusText;
      throw new Error(`emulator control ${method} ${path}: ${response.status} ${message}`);
    }
    return parsed as T;
  }
}
