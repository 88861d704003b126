/**
 * How the CLI shows a verified rollout (`watch`, `status`, the result): per domain what the data
 * plane showed (indexes refreshed or reopened, needing a reindex, probes passed and failed), and
 * the counts over all domains. Items and results without verification print nothing extra.
 */
import type { DomainVerification, VerificationCounts } from '../model/verification.js';

/** ` · verified: 2 refreshed, 1 needs reindex, probes 3 passed 0 failed` (or '' without verification). */
export function verificationText(item: object): string {
  const v = (item as { verification?: unknown }).verification as DomainVerification | undefined;
  if (!v || typeof v !== 'object') return '';
  const refreshed = v.indexesRefreshed.length + v.indexesReopened.length;
  const parts = [
    `${refreshed} index(es) refreshed${v.indexesReopened.length ? ` (${v.indexesReopened.length} by close/open)` : ''}`,
    ...(v.indexesNeedingReindex.length ? [`needing reindex: ${v.indexesNeedingReindex.join(', ')}`] : []),
    `probes ${v.probesPassed} passed, ${v.probesFailed} failed`,
  ];
  return ` · ${v.content === 'previous' ? 'previous content ' : ''}${v.status === 'passed' ? 'verified' : 'verification failed'}: ${parts.join(', ')}`;
}

/** The counts line of a result, or undefined when the run did not verify. */
export function verificationSummary(result: object): string | undefined {
  const c = (result as { verification?: unknown }).verification as VerificationCounts | undefined;
  if (!c || typeof c !== 'object') return undefined;
  return `verification: ${c.verified} domain(s) verified, ${c.verificationFailed} failed; ${c.indexesRefreshed} index(es) refreshed, ${c.indexesNeedingReindex} needing reindex; probes ${c.probesPassed} passed, ${c.probesFailed} failed`;
}
