/** The invariants checked during a chaos run, and the violations found. */

export interface Violation {
  invariant: string;
  detail: string;
}

export class Violations {
  readonly list: Violation[] = [];
  checks = 0;
  readonly byInvariant = new Map<string, number>();

  /** Counts one check of `invariant`; records a violation when `ok` is false. */
  check(invariant: string, ok: boolean, detail: () => string): boolean {
    this.checks++;
    this.byInvariant.set(invariant, (this.byInvariant.get(invariant) ?? 0) + 1);
    if (!ok) this.list.push({ invariant, detail: detail() });
    return ok;
  }
}
