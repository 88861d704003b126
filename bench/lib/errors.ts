/** An error with its cause chain (a WorkflowFailedError's cause says why the run failed). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 6; depth++) {
    if (e instanceof Error) {
      parts.push(depth === 0 ? (e.stack ?? e.message) : `caused by ${e.name}: ${e.message}`);
      e = (e as Error & { cause?: unknown }).cause;
    } else {
      parts.push(`caused by ${String(e)}`);
      break;
    }
  }
  return parts.join('\n');
}

/**
 * Awaits every promise (none is left running, e.g. a result() long poll that would outlive the
 * client's connection), then throws the first failure, saying how many failed.
 */
export async function allOrFirstError<T>(promises: ReadonlyArray<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed.length > 0)
    throw new Error(
      `${failed.length} of ${settled.length} failed; the first: ${describeError(failed[0]!.reason)}`,
    );
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** The innermost cause's message (e.g. the AWS error behind a failed workflow). */
export function rootCause(err: unknown): string {
  let e: unknown = err;
  for (let depth = 0; depth < 8; depth++) {
    const cause = e instanceof Error ? (e as Error & { cause?: unknown }).cause : undefined;
    if (cause === undefined || cause === null) break;
    e = cause;
  }
  return e instanceof Error ? e.message : String(e);
}
