import type { CallRecord } from './types.js';

/**
 * The record of every AWS call. Counts are kept exactly; the records themselves are capped so a
 * long-running demo cannot grow without bound (the oldest go first).
 */
export class CallLog {
  private records: CallRecord[] = [];
  private readonly counts = new Map<string, number>();
  private sequence = 0;

  constructor(private readonly maxRecords = 200_000) {}

  nextSeq(): number {
    return ++this.sequence;
  }

  add(record: CallRecord): void {
    this.records.push(record);
    if (this.records.length > this.maxRecords) this.records.splice(0, this.records.length - this.maxRecords);
    const key = `${record.service}:${record.operation}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  list(filter: { service?: string; operation?: string } = {}): CallRecord[] {
    return this.records.filter(
      (r) =>
        (filter.service === undefined || r.service === filter.service) &&
        (filter.operation === undefined || r.operation === filter.operation),
    );
  }

  countsByOperation(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  clear(): void {
    this.records = [];
    this.counts.clear();
  }
}
