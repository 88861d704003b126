/**
 * Exit codes, part of the CLI's contract for scripts (README, "CLI"):
 *   0  success (a rollout that succeeded, was unchanged, or a dry run; a command that did its job)
 *   1  the rollout failed (failed, partial, rolled back, cancelled, or ended by another failure),
 *      or Temporal refused the operation (a rollout for this package is already running)
 *   2  bad input: an unknown command or flag, a field that breaks a rule (each one named), an
 *      unknown workflow or schedule id, a bad configuration variable
 *   3  cannot reach Temporal (TEMPORAL_ADDRESS / --address)
 */
export const ExitCodes = {
  ok: 0,
  rolloutFailed: 1,
  badInput: 2,
  temporalUnreachable: 3,
} as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** Wrong command line: unknown command, missing argument, flags that do not go together. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    /** The command whose help the message should point at. */
    readonly command?: string,
  ) {
    super(message);
  }
}

export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    readonly namespace: string,
    reason: string,
  ) {
    super(
      `Cannot reach Temporal at ${address} (namespace '${namespace}'): ${reason}.\n` +
        'Set TEMPORAL_ADDRESS (or --address) to the frontend host:port of a running Temporal server, ' +
        "e.g. 'rollouts dev' starts one locally, or 'temporal server start-dev'.",
    );
  }
}

/** Something named on the command line does not exist (a workflow id, a schedule id, a file). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}
