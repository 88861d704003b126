import { SeededRandom } from '../src/emulator/prng.js';

/** The suite's own dice: one stream per purpose, all derived from the run's seed. */
export class Dice {
  private readonly random: SeededRandom;

  constructor(seed: number, stream: number) {
    this.random = new SeededRandom((seed ^ Math.imul(stream + 1, 0x9e3779b1)) >>> 0);
  }

  next(): number {
    return this.random.next();
  }
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  between(min: number, max: number): number {
    return min + this.next() * (max - min);
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
  hex(chars: number): string {
    let s = '';
    while (s.length < chars)
      s += Math.floor(this.next() * 0x100000000)
        .toString(16)
        .padStart(8, '0');
    return s.slice(0, chars);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED and connection errors: the server is (re)starting. */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; depth++) {
    const x = e as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
    if (x.code === 14 || x.code === 4 || x.code === 'ECONNREFUSED' || x.code === 'ECONNRESET') return true;
    if (
      typeof x.message === 'string' &&
      /UNAVAILABLE|ECONNREFUSED|ECONNRESET|Connection dropped|No connection established|DEADLINE_EXCEEDED|socket hang up/i.test(
        x.message,
      )
    )
      return true;
    e = x.cause;
  }
  return false;
}

/** Retries `fn` while Temporal is unreachable (the suite restarts it on purpose). */
export async function whileReachable<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isTransient(err) || Date.now() > deadline) {
        if (isTransient(err))
          throw new Error(`${what}: Temporal unreachable for ${timeoutMs / 1000} s: ${String(err)}`);
        throw err;
      }
      await sleep(500);
    }
  }
}

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
