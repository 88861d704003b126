import { condition } from '@temporalio/workflow';

/**
 * Runs a per-domain operation over many domains with at most `maxConcurrency` in flight, where
 * each domain is started by one quick call and then watched until it settles. Watching is one
 * polling activity for the whole window (one AWS read serves every domain in it), which returns as
 * soon as any domain settles, so the window refills without waiting for the slowest domain.
 * History grows with the number of domains, never with how long AWS takes.
 *
 * `S` is the per-domain status the poll returns (it names its domain); the start and a failed
 * poll answer in the same shape, so a status reaches `settled` as AWS's read gave it.
 */
export interface WindowSteps<S extends { domain: string }> {
  maxConcurrency: number;
  /** ms since the epoch by which a started domain must settle (the poll reports it past that). */
  deadlineFor(domain: string): number;
  /** Starts the operation: a settled status, or 'watch' to wait for it. Must not throw. */
  start(domain: string): Promise<S | 'watch'>;
  /** One polling activity over the watched domains: those that settled (at least one). */
  poll(watching: Array<{ domain: string; deadline: number }>): Promise<S[]>;
  /** The poll itself failed for good: every watched domain ends with this status. */
  pollFailed(domain: string, err: unknown): S;
  settled(status: S): void;
  /** Checked before each start: true = start nothing new, finish what is in flight. */
  stop?: () => boolean;
  /** Paused: start nothing new for now, and once nothing is in flight wait until released. */
  held?: () => boolean;
  /** Called after each round (start batch or poll), e.g. to publish progress. */
  afterRound?: () => void;
}

/** Returns the domains never started (stopped early). */
export async function slidingWindow<S extends { domain: string }>(
  domains: readonly string[],
  steps: WindowSteps<S>,
): Promise<string[]> {
  const queue = [...domains];
  const watching = new Map<string, number>();
  const stop = steps.stop ?? (() => false);
  const held = steps.held ?? (() => false);
  while (watching.size > 0 || (queue.length > 0 && !stop())) {
    if (watching.size === 0 && held()) {
      await condition(() => !held() || stop());
      continue;
    }
    const batch: string[] = [];
    while (!stop() && !held() && queue.length > 0 && watching.size + batch.length < steps.maxConcurrency)
      batch.push(queue.shift()!);
    await Promise.all(
      batch.map(async (domain) => {
        const outcome = await steps.start(domain);
        if (outcome === 'watch') watching.set(domain, steps.deadlineFor(domain));
        else steps.settled(outcome);
      }),
    );
    steps.afterRound?.();
    if (watching.size === 0) continue;
    try {
      const settled = await steps.poll([...watching].map(([domain, deadline]) => ({ domain, deadline })));
      for (const status of settled) {
        watching.delete(status.domain);
        steps.settled(status);
      }
    } catch (err) {
      for (const domain of watching.keys()) steps.settled(steps.pollFailed(domain, err));
      watching.clear();
    }
    steps.afterRound?.();
  }
  return queue;
}
