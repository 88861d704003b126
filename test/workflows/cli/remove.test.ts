import { describe, expect, it } from 'vitest';
import { fast, rollouts, seeded, useCliStack } from './cli-stack.js';

useCliStack('cli-remove');

describe('rollouts remove', () => {
  it('dissociates a published package and deletes it (exit 0); bad input is exit 2', async () => {
    const domains = await seeded('cli-remove', 2);
    const published = await rollouts(
      'dictionary',
      '--package-name',
      'cli-remove',
      '--text',
      'r, s\n',
      '--domains',
      domains.join(','),
      ...fast,
      '--wait',
    );
    expect(published.code, published.stderr).toBe(0);
    expect(published.stdout).toMatch(/dictionary-rollout\/cli-remove: succeeded/);
    const removed = await rollouts(
      'remove',
      '--package-name',
      'cli-remove',
      '--poll-interval',
      '0.2',
      '--watch',
      '--interval',
      '0.2',
      '--json',
    );
    expect(removed.code, removed.stderr).toBe(0);
    const end = removed
      .lines<{ type: string; outcome?: string; result?: { packageDeletion: string } }>()
      .at(-1)!;
    expect(end).toMatchObject({ type: 'result', outcome: 'removed', result: { packageDeletion: 'deleted' } });
    const bad = await rollouts('remove', '--package-name', 'cli-remove', '--package-id', 'F1', '--json');
    expect(bad.code).toBe(2);
    expect(bad.json<{ error: { issues: Array<{ field: string }> } }>().error.issues[0]!.field).toBe(
      'packageName',
    );
  });
});
