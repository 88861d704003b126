/**
 * An error answered the way the service sends it. Status codes follow the service models
 * (OpenSearch: ResourceNotFound/Conflict/LimitExceeded/AlreadyExists 409; IoT ResourceNotFound 404);
 * the SDK maps errors by code, so the code is what callers see.
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    readonly httpStatus: number,
    message: string,
    /** Extra members of the error body, e.g. IoT ConflictException's resourceId. */
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

export const validation = (message: string): AwsError => new AwsError('ValidationException', 400, message);

/** The wording AWS uses for model constraint violations, so messages look familiar in logs. */
export function constraintViolation(value: unknown, member: string, constraint: string): AwsError {
  return validation(
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}
