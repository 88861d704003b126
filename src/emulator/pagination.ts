import { validation } from './errors.js';

/**
 * Keyset pagination: the token names the last key returned, so a page stays correct when rows
 * before it appear or disappear between calls (associations come and go while callers page).
 */
export function paginate<T>(
  sortedItems: readonly T[],
  keyOf: (item: T) => string,
  maxResults: number,
  nextToken: string | undefined,
): { page: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined && nextToken !== '') {
    const after = decodeToken(nextToken);
    start = sortedItems.findIndex((item) => keyOf(item) > after);
    if (start < 0) start = sortedItems.length;
  }
  const page = sortedItems.slice(start, start + maxResults);
  const more = start + maxResults < sortedItems.length;
  const last = page[page.length - 1];
  return more && last !== undefined ? { page, nextToken: encodeToken(keyOf(last)) } : { page };
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after?: unknown };
    if (typeof parsed.after === 'string') return parsed.after;
  } catch {
    // fall through to the error below
  }
  throw validation('Invalid pagination token');
}

/** Sort keys that order as the items were created; the counter breaks ties within one millisecond. */
export function creationKey(createdAt: number, sequence: number): string {
  return `${String(createdAt).padStart(16, '0')}:${String(sequence).padStart(10, '0')}`;
}
