import type { RunEnd } from '../client/index.js';
import { ExitCodes } from './errors.js';
import { seconds, type Output } from './output.js';
import { verificationSummary, verificationText } from './verification.js';
import { placeLines } from './places.js';
import { itemsOf } from './watch.js';

type AnyResult = Record<string, unknown> & { outcome?: string };

/** Human lines for any rollout result: outcome, the headline fields, one line per item. */
export function resultLines(workflowId: string, ended: RunEnd<unknown>): string[] {
  const r = (ended.result ?? {}) as AnyResult;
  const lines: string[] = [];
  const outcome = r.outcome ?? (ended.ok ? 'completed' : 'failed');
  lines.push(`${workflowId}: ${outcome}${ended.failure ? ` (${ended.failure.type})` : ''}`);
  if (ended.failure && !ended.result) lines.push(`  ${ended.failure.message}`);
  if (typeof r.packageName === 'string' || typeof r.packageId === 'string') {
    const change = typeof r.packageChange === 'string' ? ` (${r.packageChange})` : '';
    const version = typeof r.targetVersion === 'string' && r.targetVersion ? ` -> ${r.targetVersion}` : '';
    lines.push(`  package ${[r.packageName, r.packageId].filter(Boolean).join(' ')}${version}${change}`);
  }
  if (typeof r.versionName === 'string')
    lines.push(
      `  version ${r.versionName}: ${String(r.versionStatus ?? '?')}${typeof r.defaultVersionName === 'string' ? `, package default ${r.defaultVersionName}` : ''}`,
    );
  if (r.steps && typeof r.steps === 'object')
    lines.push(
      `  steps: ${Object.entries(r.steps as Record<string, unknown>)
        .map(([k, v]) => `${k} ${Array.isArray(v) ? v.join(',') || '-' : String(v)}`)
        .join('; ')}`,
    );
  if (typeof r.attachmentId === 'string') {
    const app = (r.application ?? {}) as { id?: string; name?: string };
    lines.push(
      `  attachment ${r.attachmentId}: ${String(r.status)} — ${String(r.dataSourceArn)} -> application ${app.name ?? app.id ?? '?'}`,
    );
  }
  if (typeof r.referencePath === 'string' && r.referencePath)
    lines.push(`  reference path ${r.referencePath}`);
  if (typeof r.packageDeletion === 'string')
    lines.push(
      `  package deletion: ${r.packageDeletion}${typeof r.keptBecause === 'string' ? ` (${r.keptBecause})` : ''}`,
    );
  if (r.counts && typeof r.counts === 'object')
    lines.push(
      `  ${Object.entries(r.counts as Record<string, number>)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ')}`,
    );
  lines.push(...placeLines(r));
  const verified = verificationSummary(r);
  if (verified) lines.push(`  ${verified}`);
  for (const [name, item] of itemsOf(r)) {
    const took = seconds(item.startedAt as number | undefined, item.finishedAt as number | undefined);
    const version = typeof item.version === 'string' ? ` @ ${item.version}` : '';
    const error = item.error?.message ? `  ${item.error.type ?? 'error'}: ${item.error.message}` : '';
    lines.push(
      `  ${name.padEnd(28)} ${String(item.state)}${version}${took ? `  ${took}` : ''}${verificationText(item)}${error}`,
    );
  }
  if (Array.isArray(r.notes)) for (const note of r.notes) lines.push(`  note: ${String(note)}`);
  return lines;
}

/**
 * Prints how a run ended; the exit code says whether it succeeded. `stream`: the command printed
 * JSON lines before (watch), so the result is one more line, `{ "type": "result", ... }`.
 */
export function reportEnd(
  out: Output,
  workflowId: string,
  ended: RunEnd<unknown>,
  options: { stream?: boolean } = {},
): number {
  const outcome = (ended.result as AnyResult | undefined)?.outcome;
  const doc = {
    workflowId,
    ok: ended.ok,
    ...(outcome ? { outcome } : {}),
    ...(ended.result !== undefined ? { result: ended.result } : {}),
    ...(ended.failure ? { failure: ended.failure } : {}),
  };
  if (out.json && options.stream) out.jsonLine({ type: 'result', ...doc });
  else out.result(doc, () => resultLines(workflowId, ended));
  return ended.ok ? ExitCodes.ok : ExitCodes.rolloutFailed;
}
