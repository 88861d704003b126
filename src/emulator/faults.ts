import { randomUUID } from 'node:crypto';
import type { SeededRandom } from './prng.js';
import type { FaultKind, FaultRule, ServiceName } from './types.js';

interface ActiveRule extends FaultRule {
  id: string;
}

/** What the rules decided for one call, rolled once before it is handled. */
export interface FaultPlan {
  latencyMs: number;
  /** Answer with this instead of handling the call. */
  reject?: 'throttle' | 'internal';
  /** Handle the call, then answer 500. */
  loseResponse: boolean;
  /** A network fault instead of an answer: reset before or after applying the call, or no answer. */
  network?: 'reset-before' | 'reset-after' | 'hang';
  /** The fault to record for the call: the most visible one. */
  kind?: FaultKind;
}

export class FaultInjector {
  private rules: ActiveRule[] = [];

  constructor(private readonly random: SeededRandom) {}

  add(rule: FaultRule): string {
    const id = randomUUID();
    this.rules.push({ ...rule, id });
    return id;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /**
   * Rules are consulted in the order they were added and every matching rule rolls its dice, so
   * the sequence of random draws, and therefore a seeded run, depends only on the call sequence.
   */
  plan(
    service: ServiceName,
    operation: string,
    mutating: boolean,
    place?: { account: string; region: string },
  ): FaultPlan {
    const plan: FaultPlan = { latencyMs: 0, loseResponse: false };
    if (this.rules.length === 0) return plan;
    for (const rule of this.rules) {
      if (rule.service !== undefined && rule.service !== service) continue;
      if (rule.region !== undefined && rule.region !== place?.region) continue;
      if (rule.account !== undefined && rule.account !== place?.account) continue;
      if (rule.operation !== undefined && rule.operation !== operation) continue;
      if (rule.mutatingOnly && !mutating) continue;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      let fired = false;
      if (rule.latencyMs !== undefined && rule.latencyMs > 0) {
        plan.latencyMs += rule.latencyMs;
        fired = true;
      }
      if (!plan.reject && this.roll(rule.throttleProbability)) {
        plan.reject = 'throttle';
        fired = true;
      } else if (!plan.reject && this.roll(rule.internalErrorProbability)) {
        plan.reject = 'internal';
        fired = true;
      } else if (!plan.reject && !plan.loseResponse && this.roll(rule.loseResponseProbability)) {
        plan.loseResponse = true;
        fired = true;
      }
      // Network faults roll after the answer faults, so rules without them draw exactly as before.
      const network = this.rollNetwork(rule);
      if (network && !plan.network && !plan.reject && !plan.loseResponse) {
        plan.network = network;
        fired = true;
      }
      if (fired && rule.remaining !== undefined) rule.remaining--;
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    plan.kind =
      plan.network ??
      plan.reject ??
      (plan.loseResponse ? 'lost-response' : plan.latencyMs > 0 ? 'latency' : undefined);
    return plan;
  }

  /** One draw per network probability the rule sets, whatever the other dice said (seeded replays). */
  private rollNetwork(rule: FaultRule): FaultPlan['network'] {
    const before = this.roll(rule.resetBeforeProbability);
    const after = this.roll(rule.resetAfterProbability);
    const hang = this.roll(rule.hangProbability);
    return before ? 'reset-before' : after ? 'reset-after' : hang ? 'hang' : undefined;
  }

  private roll(probability: number | undefined): boolean {
    if (probability === undefined || probability <= 0) return false;
    return this.random.next() < probability;
  }
}
