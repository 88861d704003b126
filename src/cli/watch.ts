import { placeLines } from './places.js';
import type { WorkflowHandle } from '@temporalio/client';
import { queuedCalls, queuedCallsText } from '../client/queued-calls.js';
import { awaitRunEnd, rolloutProgress, type RunEnd } from '../client/index.js';
import type { Output } from './output.js';
import { verificationText } from './verification.js';

/**
 * Live progress of any rollout: polls its `progress` query and prints what changed — the phase,
 * then one line per item (domain, thing, ...) whose state moved — until the run closes. Every
 * rollout's progress has a `phase` and an array of items with a `state`; the rest is shown as is.
 */
export interface ProgressItem {
  state?: string;
  version?: string;
  error?: { type?: string; message?: string };
  [key: string]: unknown;
}

const NAME_KEYS = ['domain', 'name', 'thingName', 'thing', 'target', 'id', 'applicationId', 'dataSourceArn'];

function itemName(item: ProgressItem): string | undefined {
  // Fleets: a domain name is unique only in its place; its target key ('<place>:<domain>') is not.
  if (typeof item.domain === 'string' && typeof item.target === 'string') return item.target;
  for (const k of NAME_KEYS) if (typeof item[k] === 'string') return item[k] as string;
  return undefined;
}

/** Arrays of objects that have a `state` and a name: the per-domain (per-target) rows. */
export function itemsOf(progress: unknown): Map<string, ProgressItem> {
  const items = new Map<string, ProgressItem>();
  if (!progress || typeof progress !== 'object') return items;
  for (const value of Object.values(progress as Record<string, unknown>)) {
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      if (!item || typeof item !== 'object' || typeof (item as ProgressItem).state !== 'string') continue;
      const name = itemName(item as ProgressItem);
      if (name) items.set(name, item as ProgressItem);
    }
  }
  return items;
}

export function headline(progress: unknown): string {
  const p = (progress ?? {}) as Record<string, unknown>;
  const parts = [`phase ${String(p.phase ?? '?')}`];
  const waves = Array.isArray(p.waves) ? p.waves.length : 0;
  if (waves > 0 && typeof p.currentWave === 'number')
    parts.push(`wave ${Math.min(p.currentWave + 1, waves)}/${waves}`);
  if (typeof p.targetVersion === 'string') parts.push(`target ${p.targetVersion}`);
  if (typeof p.versionStatus === 'string') parts.push(`version ${p.versionStatus}`);
  if (typeof p.status === 'string') parts.push(`status ${p.status}`);
  if (p.paused === true) parts.push('PAUSED (rollouts resume <id>)');
  if (p.awaitingApproval === true) parts.push('WAITING FOR APPROVAL (rollouts approve <id>)');
  if (typeof p.bakeUntil === 'number') parts.push(`baking until ${new Date(p.bakeUntil).toISOString()}`);
  // Health gates (docs/health-gates.md): which gate failed, with its alarm or URL and why.
  for (const g of Array.isArray(p.gateFailures) ? (p.gateFailures as Array<Record<string, unknown>>) : [])
    parts.push(
      `GATE FAILED ${String(g.gate)} ${String(g.alarm ?? g.webhook ?? '')}${g.url ? ` ${String(g.url)}` : ''}: ${String(g.reason)}`,
    );
  const counts = new Map<string, number>();
  for (const item of itemsOf(progress).values()) counts.set(item.state!, (counts.get(item.state!) ?? 0) + 1);
  if (counts.size > 0) parts.push([...counts].map(([s, n]) => `${n} ${s}`).join(', '));
  return parts.join(' · ');
}

function describeItem(item: ProgressItem): string {
  const bits = [item.state ?? '?'];
  if (typeof item.version === 'string') bits.push(`@ ${item.version}`);
  const verified = verificationText(item);
  if (verified) bits.push(verified.slice(3));
  if (item.error?.message) bits.push(`— ${item.error.type ?? 'error'}: ${item.error.message}`);
  return bits.join(' ');
}

/** Lines saying what changed between two progress snapshots. */
function progressChanges(before: unknown, after: unknown): string[] {
  const lines: string[] = [];
  if (headline(before) !== headline(after)) lines.push(headline(after));
  const places = placeLines(after);
  if (places.join('\n') !== placeLines(before).join('\n')) lines.push(...places);
  const prev = itemsOf(before);
  for (const [name, item] of itemsOf(after)) {
    const old = prev.get(name);
    const verifiedNow = verificationText(item) !== verificationText(old ?? {});
    if (!old || old.state !== item.state || old.version !== item.version || verifiedNow)
      lines.push(`  ${name.padEnd(28)} ${old ? `${old.state} -> ` : ''}${describeItem(item)}`);
  }
  return lines;
}

export interface WatchOptions {
  intervalMs: number;
  out: Output;
  /** Say nothing until the first change (used when following a run someone else reports on). */
  quiet?: boolean;
}

/** Prints progress until the run closes, then returns how it ended. */
export async function watchRun<T = unknown>(
  handle: WorkflowHandle,
  options: WatchOptions,
): Promise<RunEnd<T>> {
  let closed: RunEnd<T> | undefined;
  let failure: unknown;
  const ending = awaitRunEnd<T>(handle).then(
    (s) => (closed = s),
    (err: unknown) => (failure = err ?? new Error('unknown error')),
  );
  let last: unknown = undefined;
  let queryError: string | undefined;
  let lastQueued = 0;
  while (!closed && !failure) {
    try {
      const progress = await rolloutProgress(handle);
      queryError = undefined;
      const changes = progressChanges(last, progress);
      if (changes.length > 0) {
        if (options.out.json)
          options.out.jsonLine({ type: 'progress', workflowId: handle.workflowId, progress });
        else for (const l of changes) options.out.line(l);
      }
      last = progress;
      const queued = await queuedCalls(handle).catch(() => undefined);
      if (queued && queued.count !== lastQueued) {
        if (options.out.json)
          options.out.jsonLine({ type: 'queued-calls', workflowId: handle.workflowId, ...queued });
        else if (queued.count > 0 || lastQueued > 0) options.out.line(`  ${queuedCallsText(queued)}`);
        lastQueued = queued.count;
      }
    } catch (err) {
      // A closed run or one with no worker right now: say so once, keep waiting for the end.
      const message = (err as Error).message;
      if (!closed && message !== queryError) options.out.notice(`progress not available yet: ${message}`);
      queryError = message;
    }
    await Promise.race([ending, new Promise((r) => setTimeout(r, options.intervalMs))]);
  }
  await ending;
  if (failure) throw failure;
  return closed!;
}
