import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { loadStagingConfig, type StagingConfig } from '../config.js';
import { DICTIONARY_MAX_BYTES, stagedKey, type DictionarySource } from '../model/dictionary-rollout.js';
import { createOutboundGuard, OutboundUrlError } from '../net/outbound-url.js';

// The key rule lives in the model, where the workflow (rollback) reads it too.
export { stagedKey } from '../model/dictionary-rollout.js';
import { FailureTypes } from '../model/failures.js';
import { awsErrorCode, isAwsError, toActivityFailure } from './aws-errors.js';
import type { ActivityDeps } from './deps.js';
import { preflightSpooledFile } from './dictionary-preflight.js';
import type { PreflightInput } from '../model/verification.js';

export interface StageDictionaryInput {
  source: DictionarySource;
  staging: { bucket: string; prefix: string };
  packageType: string;
  /** The pre-flight check of the file, run before the upload (verified rollouts). */
  preflight?: PreflightInput;
}

/** A reference to the staged file: what travels through workflow history instead of the content. */
export interface StagedObject {
  bucket: string;
  key: string;
  sha256: string;
  sizeBytes: number;
  /** True when an object with this content was already staged (no PutObject). */
  reused: boolean;
  /**
   * The worker's own Region (its S3 client's, where `bucket` is). A fleet rollout reads it to
   * tell its own place from a place that names that Region (docs/fleets.md).
   */
  region?: string;
}

export interface S3ActivityOptions extends StagingConfig {
  /** Where a download is spooled while it is hashed [the OS temp dir]. */
  spoolDir?: string;
  /** How often a running staging heartbeats [2 s]; the workflow's heartbeat timeout is 10 s. */
  heartbeatIntervalMs?: number;
  /** A download that receives nothing for this long is abandoned (retried) [30 s]. */
  idleTimeoutMs?: number;
}

/** Up to this size an upload is sent from memory (per running staging). */
const BUFFERED_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;

function invalidSource(message: string, details?: Record<string, unknown>): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type: FailureTypes.InvalidSource,
    nonRetryable: true,
    ...(details ? { details: [details] } : {}),
  });
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (plain unit tests)
  }
}

/**
 * Heartbeats on a timer for as long as the staging runs (waiting for a slot, downloading,
 * uploading), so a worker that dies mid-staging is noticed within the heartbeat timeout and the
 * activity retried elsewhere. Details carry progress only (phase, bytes), never content.
 */
function heartbeating(intervalMs: number) {
  const ctx = activityContext();
  let details: { phase: string; bytes: number } = { phase: 'waiting for a staging slot', bytes: 0 };
  const beat = () => ctx?.heartbeat(details);
  beat();
  const timer = setInterval(beat, intervalMs);
  return {
    progress(phase: string, bytes: number) {
      details = { phase, bytes };
    },
    stop: () => clearInterval(timer),
    cancelled: ctx?.cancellationSignal,
  };
}

/** Stagings running at once in one worker: each holds a download, a spool file and an upload. */
class Slots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly size: number) {}

  async acquire(cancelled?: AbortSignal): Promise<() => void> {
    if (this.running >= this.size)
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          cancelled?.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          this.waiting.splice(this.waiting.indexOf(wake), 1);
          reject(cancelled!.reason as Error);
        };
        cancelled?.addEventListener('abort', abort, { once: true });
        this.waiting.push(wake);
      });
    else this.running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    };
  }
}

/** Checks each chunk as it streams by: size, sha256, UTF-8 and NUL bytes for text. */
class ContentCheck {
  readonly hash = createHash('sha256');
  size = 0;
  private readonly utf8?: InstanceType<typeof TextDecoder>;

  constructor(packageType: string) {
    if (packageType === 'TXT-DICTIONARY') this.utf8 = new TextDecoder('utf-8', { fatal: true });
  }

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.size > DICTIONARY_MAX_BYTES)
      throw invalidSource(`source: the dictionary is larger than ${DICTIONARY_MAX_BYTES} bytes`);
    this.hash.update(chunk);
    if (!this.utf8) return;
    try {
      this.utf8.decode(chunk, { stream: true });
    } catch {
      throw invalidSource('source: a TXT-DICTIONARY must be UTF-8 text (found bytes that are not UTF-8)');
    }
    if (chunk.includes(0)) throw invalidSource('source: a TXT-DICTIONARY must be text (found NUL bytes)');
  }

  end(): { sha256: string; size: number } {
    if (this.size === 0) throw invalidSource('source: the dictionary is empty');
    try {
      this.utf8?.decode(); // a sequence cut off at the end
    } catch {
      throw invalidSource('source: a TXT-DICTIONARY must be UTF-8 text (found bytes that are not UTF-8)');
    }
    return { sha256: this.hash.digest('hex'), size: this.size };
  }
}

export function createS3Activities(deps: ActivityDeps, options: S3ActivityOptions = loadStagingConfig()) {
  const { s3 } = deps.aws;
  const guard = createOutboundGuard(options.outbound);
  const slots = new Slots(options.stagingConcurrency);
  const spoolDir = options.spoolDir ?? tmpdir();
  const heartbeatMs = options.heartbeatIntervalMs ?? 2000;
  const idleMs = options.idleTimeoutMs ?? 30_000;

  /** Refuses a bucket (or key) outside ROLLOUTS_SOURCE_BUCKETS before anything is read. */
  function checkSourceAllowed(bucket: string, key: string): void {
    const rules = options.sourceBuckets;
    if (!rules || rules.some((r) => r.bucket === bucket && key.startsWith(r.prefix))) return;
    throw invalidSource(
      `source: s3://${bucket}/${key} is outside the buckets this worker may read (ROLLOUTS_SOURCE_BUCKETS: ${rules
        .map((r) => (r.prefix ? `${r.bucket}/${r.prefix}` : r.bucket))
        .join(', ')}); the worker's IAM policy refuses it too`,
      { code: 'SourceNotAllowed' },
    );
  }

  /** The source as a stream of chunks; nothing is held beyond the chunk in hand. */
  async function openSource(
    source: DictionarySource,
    signal: AbortSignal,
  ): Promise<AsyncIterable<Uint8Array> | Iterable<Uint8Array>> {
    if (source.kind === 'inline') return [Buffer.from(source.text, 'utf8')];
    if (source.kind === 's3') {
      checkSourceAllowed(source.bucket, source.key);
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }), {
          abortSignal: signal,
        });
        if ((out.ContentLength ?? 0) > DICTIONARY_MAX_BYTES) {
          (out.Body as Readable | undefined)?.destroy();
          throw invalidSource(
            `source.key: s3://${source.bucket}/${source.key} is larger than ${DICTIONARY_MAX_BYTES} bytes`,
          );
        }
        return out.Body as Readable;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (isAwsError(err, 'NoSuchKey') || isAwsError(err, 'NoSuchBucket') || isAwsError(err, 'NotFound'))
          throw invalidSource(
            `source: s3://${source.bucket}/${source.key} does not exist (${awsErrorCode(err)})`,
          );
        throw toActivityFailure(err, { service: 's3', operation: 'GetObject' }, FailureTypes.InvalidSource);
      }
    }
    let response;
    try {
      ({ response } = await guard.get(source.url, { field: 'source.url', signal }));
    } catch (err) {
      // A refused address is the input's fault: retrying would not change the answer.
      if (err instanceof OutboundUrlError) throw invalidSource(err.message, { code: `Outbound:${err.kind}` });
      // Network trouble is worth retrying; the activity's retry policy does that.
      throw ApplicationFailure.retryable(
        `source.url: cannot fetch: ${(err as Error).message}`,
        'SourceUnreachable',
      );
    }
    const status = response.statusCode ?? 0;
    if (status >= 500 || status === 429) {
      response.destroy();
      throw ApplicationFailure.retryable(`source.url: server answered ${status}`, 'SourceUnreachable');
    }
    if (status < 200 || status > 299) {
      response.destroy();
      throw invalidSource(`source.url: server answered ${status} ${response.statusMessage ?? ''}`.trim());
    }
    if (Number(response.headers['content-length'] ?? '0') > DICTIONARY_MAX_BYTES) {
      response.destroy();
      throw invalidSource(`source.url: larger than ${DICTIONARY_MAX_BYTES} bytes`);
    }
    return response;
  }

  /**
   * Streams the source through the checks into a spool file. The object's key is its sha256,
   * known only at the end, so the bytes wait on disk (not in memory) until then; the upload then
   * streams from the file, and is skipped when that content is already staged.
   */
  async function spool(
    input: StageDictionaryInput,
    beat: ReturnType<typeof heartbeating>,
    path: string,
  ): Promise<{ sha256: string; size: number }> {
    const idle = new AbortController();
    let idleTimer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
    const signal = beat.cancelled ? AbortSignal.any([idle.signal, beat.cancelled]) : idle.signal;
    const check = new ContentCheck(input.packageType);
    const file = await open(path, 'w', 0o600);
    let stream: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | undefined;
    try {
      stream = await openSource(input.source, signal);
      for await (const chunk of stream) {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => idle.abort(new Error(`no data for ${idleMs / 1000} s`)), idleMs);
        check.add(chunk);
        await file.write(chunk);
        beat.progress('downloading', check.size);
        if (signal.aborted) throw signal.reason as Error;
      }
      return check.end();
    } catch (err) {
      (stream as Readable | undefined)?.destroy?.();
      if (err instanceof ApplicationFailure) throw err;
      if (beat.cancelled?.aborted) throw err; // the activity was cancelled: let the SDK report it
      throw ApplicationFailure.retryable(
        `source: download interrupted: ${(err as Error).message}`,
        'SourceUnreachable',
      );
    } finally {
      clearTimeout(idleTimer);
      await file.close();
    }
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
     * and writes nothing. Memory stays flat whatever the size: the content streams through the
     * checks to a spool file and from there to S3. At most ROLLOUTS_STAGING_CONCURRENCY run at
     * once per worker; all of it, the wait for a slot included, heartbeats.
     */
    async stageDictionary(input: StageDictionaryInput): Promise<StagedObject> {
      const beat = heartbeating(heartbeatMs);
      const path = join(spoolDir, `package-rollouts-staging-${randomUUID()}`);
      let release: (() => void) | undefined;
      try {
        release = await slots.acquire(beat.cancelled);
        const { sha256, size } = await spool(input, beat, path);
        if (input.preflight) await preflightSpooledFile(path, input.preflight);
        const { bucket, prefix } = input.staging;
        const key = stagedKey(prefix, sha256, input.packageType);
        beat.progress('checking the staged object', size);
        const region = await s3.config.region();
        if (await holdsContent(bucket, key, sha256, size))
          return { bucket, key, sha256, sizeBytes: size, reused: true, region };
        beat.progress('uploading', size);
        try {
          await s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              // Small files go as a buffer, which the SDK can resend on its own retries; larger
              // ones stream from the spool file, so memory stays flat (a failed attempt is then
              // retried by the activity).
              Body: size <= BUFFERED_UPLOAD_MAX_BYTES ? await readFile(path) : createReadStream(path),
              ContentLength: size,
              ContentType:
                input.packageType === 'TXT-DICTIONARY' ? 'text/plain; charset=utf-8' : 'application/zip',
              Metadata: { sha256 },
            }),
            ...(beat.cancelled ? [{ abortSignal: beat.cancelled }] : []),
          );
        } catch (err) {
          if (isAwsError(err, 'NoSuchBucket'))
            throw invalidSource(`staging.bucket: bucket '${bucket}' does not exist`, {
              code: 'NoSuchBucket',
            });
          throw toActivityFailure(err, { service: 's3', operation: 'PutObject' });
        }
        return { bucket, key, sha256, sizeBytes: size, reused: false, region };
      } finally {
        beat.stop();
        release?.();
        await unlink(path).catch(() => undefined);
      }
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
