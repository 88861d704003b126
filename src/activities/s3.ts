import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DICTIONARY_MAX_BYTES, stagedKey, type DictionarySource } from '../model/dictionary-rollout.js';

// The key rule lives in the model, where the workflow (rollback) reads it too.
export { stagedKey } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import { awsErrorCode, isAwsError, toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';

export interface StageDictionaryInput {
  source: DictionarySource;
  staging: { bucket: string; prefix: string };
  packageType: string;
}

/** A reference to the staged file: what travels through workflow history instead of the content. */
export interface StagedObject {
  bucket: string;
  key: string;
  sha256: string;
  sizeBytes: number;
  /** True when an object with this content was already staged (no PutObject). */
  reused: boolean;
}

function invalidSource(message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: FailureTypes.InvalidSource,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });
}

/**
 * A download gives up after a minute, or when the activity is cancelled: a worker shutting down
 * cancels its running activities once the grace period is over, and the download must then stop
 * so the worker can exit (Temporal retries the activity on another worker).
 */
function downloadSignal(): AbortSignal {
  const timeout = AbortSignal.timeout(60_000);
  try {
    return AbortSignal.any([timeout, Context.current().cancellationSignal]);
  } catch {
    return timeout; // called outside an activity (plain unit tests)
  }
}

export function createS3Activities(deps: ActivityDeps) {
  const { s3 } = deps.aws;
  const fetchImpl = deps.fetch ?? fetch;

  async function readSource(source: DictionarySource): Promise<Buffer> {
    if (source.kind === 'inline') return Buffer.from(source.text, 'utf8');
    if (source.kind === 's3') {
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
        if ((out.ContentLength ?? 0) > DICTIONARY_MAX_BYTES)
          throw invalidSource(
            `source.key: s3://${source.bucket}/${source.key} is larger than ${DICTIONARY_MAX_BYTES} bytes`,
          );
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch (err) {
        if (isAwsError(err, 'NoSuchKey') || isAwsError(err, 'NoSuchBucket') || isAwsError(err, 'NotFound'))
          throw invalidSource(
            `source: s3://${source.bucket}/${source.key} does not exist (${awsErrorCode(err)})`,
          );
        throw toActivityFailure(err, { service: 's3', operation: 'GetObject' }, FailureTypes.InvalidSource);
      }
    }
    let response: Response;
    try {
      response = await fetchImpl(source.url, { redirect: 'follow', signal: downloadSignal() });
    } catch (err) {
      // Network trouble is worth retrying; the activity's retry policy does that.
      throw ApplicationFailure.retryable(
        `source.url: cannot fetch: ${(err as Error).message}`,
        'SourceUnreachable',
      );
    }
    if (response.status >= 500 || response.status === 429)
      throw ApplicationFailure.retryable(
        `source.url: server answered ${response.status}`,
        'SourceUnreachable',
      );
    if (!response.ok)
      throw invalidSource(`source.url: server answered ${response.status} ${response.statusText}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > DICTIONARY_MAX_BYTES)
      throw invalidSource(`source.url: larger than ${DICTIONARY_MAX_BYTES} bytes`);
    return readCapped(response);
  }

  /**
   * A body without (or with a false) Content-Length is read chunk by chunk and abandoned as soon
   * as it passes the limit, so a hostile or endless URL cannot fill the worker's memory.
   */
  async function readCapped(response: Response): Promise<Buffer> {
    if (!response.body) return Buffer.alloc(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > DICTIONARY_MAX_BYTES) {
        await reader.cancel().catch(() => undefined);
        throw invalidSource(`source.url: larger than ${DICTIONARY_MAX_BYTES} bytes`);
      }
      chunks.push(value);
    }
    return Buffer.concat(chunks);
  }

  /**
   * Whether the content-addressed object holds this content: its sha256 metadata (written by
   * stageDictionary) must name it. An object under the key without it (written by hand, or
   * truncated) does not count, so it is overwritten rather than trusted.
   */
  async function holdsContent(bucket: string, key: string, sha256: string, sizeBytes?: number) {
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return (
        head.Metadata?.sha256 === sha256 && (sizeBytes === undefined || head.ContentLength === sizeBytes)
      );
    } catch (err) {
      if (isAwsError(err, 'NoSuchBucket'))
        throw invalidSource(`staging.bucket: bucket '${bucket}' does not exist`, { code: 'NoSuchBucket' });
      if (isAwsError(err, 'NotFound') || isAwsError(err, 'NoSuchKey')) return false;
      throw toActivityFailure(err, { service: 's3', operation: 'HeadObject' });
    }
  }

  return {
    /**
     * Reads the dictionary, checks it, and stores it under a content-addressed key. The only
     * activity that sees file content, and the content never leaves it: the workflow gets a
     * reference and a hash. Re-running it (a retry, a second rollout) finds the object by key
     * and writes nothing.
     */
    async stageDictionary(input: StageDictionaryInput): Promise<StagedObject> {
      const content = await readSource(input.source);
      if (content.length === 0) throw invalidSource('source: the dictionary is empty');
      if (content.length > DICTIONARY_MAX_BYTES)
        throw invalidSource(`source: the dictionary is larger than ${DICTIONARY_MAX_BYTES} bytes`);
      if (input.packageType === 'TXT-DICTIONARY') {
        try {
          new TextDecoder('utf-8', { fatal: true }).decode(content);
        } catch {
          throw invalidSource('source: a TXT-DICTIONARY must be UTF-8 text (found bytes that are not UTF-8)');
        }
        if (content.includes(0))
          throw invalidSource('source: a TXT-DICTIONARY must be text (found NUL bytes)');
      }
      const sha256 = createHash('sha256').update(content).digest('hex');
      const { bucket, prefix } = input.staging;
      const key = stagedKey(prefix, sha256, input.packageType);
      if (await holdsContent(bucket, key, sha256, content.length))
        return { bucket, key, sha256, sizeBytes: content.length, reused: true };
      try {
        await s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: content,
            ContentType:
              input.packageType === 'TXT-DICTIONARY' ? 'text/plain; charset=utf-8' : 'application/zip',
            Metadata: { sha256 },
          }),
        );
      } catch (err) {
        if (isAwsError(err, 'NoSuchBucket'))
          throw invalidSource(`staging.bucket: bucket '${bucket}' does not exist`, { code: 'NoSuchBucket' });
        throw toActivityFailure(err, { service: 's3', operation: 'PutObject' });
      }
      return { bucket, key, sha256, sizeBytes: content.length, reused: false };
    },

    /**
     * Whether content staged earlier is still in S3 (HeadObject): a rollback republishes the
     * previous content from its staged object, and must not point AWS at one that is gone (that
     * would make a COPY_FAILED version of the package instead of a clear answer).
     */
    async stagedObjectExists(input: { bucket: string; key: string; sha256: string }): Promise<boolean> {
      return holdsContent(input.bucket, input.key, input.sha256);
    },
  };
}
