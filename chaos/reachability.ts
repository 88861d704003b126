/** Talking to a Temporal server that the suite restarts on purpose. */

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
