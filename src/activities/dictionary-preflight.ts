/**
 * The pre-flight check of a dictionary inside the staging activity, after the file is spooled
 * and before anything is uploaded: a file OpenSearch would refuse ends the run with
 * `InvalidDictionary` before any AWS call that changes something (not even the S3 staging).
 * It runs there because the staging activity is the only one that sees the content: checking
 * the spool file costs no second download and no extra external call.
 */
import { readFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { checkDictionary } from '../dictionary-check/index.js';
import { FailureTypes } from '../model/failures.js';
import type { PreflightInput } from '../model/verification.js';

/** Errors listed in the failure (each names its line and rule); the message holds the first. */
const LISTED_ERRORS = 10;

/** Throws InvalidDictionary when OpenSearch would refuse the spooled file; returns the warning count. */
export async function preflightSpooledFile(path: string, preflight: PreflightInput): Promise<number> {
  if (preflight.format === 'none') return 0;
  const result = checkDictionary(await readFile(path), {
    format: preflight.format,
    chain: preflight.chain,
    lenient: preflight.lenient,
  });
  if (result.ok) return result.warnings.length;
  const errors = result.errors
    .slice(0, LISTED_ERRORS)
    .map(({ line, rule, message }) => ({ line, rule, message }));
  const first = errors[0]!;
  throw ApplicationFailure.create({
    type: FailureTypes.InvalidDictionary,
    message: `source: OpenSearch would refuse this ${preflight.format} file: ${first.message} (rule ${first.rule}${
      result.errors.length > 1 ? `; ${result.errors.length} errors in all` : ''
    }). Nothing was sent to AWS`,
    details: [{ format: preflight.format, errors, errorCount: result.errors.length }],
    nonRetryable: true,
  });
}
