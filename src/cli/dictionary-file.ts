import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import { INLINE_TEXT_MAX_BYTES, stagedKey, type DictionarySource } from '../model/dictionary-rollout.js';
import { UsageError } from './errors.js';

/**
 * A local dictionary file (`--file`) becomes the rollout's source in one of two ways:
 *  - inline, when it is a TXT-DICTIONARY of at most INLINE_TEXT_MAX_BYTES (32 KiB) of UTF-8: the
 *    text travels in the workflow input (and so in its history), and the stage activity stores it;
 *  - otherwise uploaded by the CLI to the staging bucket under the very key the stage activity
 *    would use (`<prefix><sha256>.txt|.zip`) and passed as an S3 source, so staging finds the object
 *    already there and writes nothing twice.
 */
export interface LocalDictionary {
  path: string;
  content: Buffer;
  sha256: string;
  mode: 'inline' | 'upload';
  /** Why it is uploaded rather than inline. */
  reason?: string;
}

export function readLocalDictionary(path: string, packageType: string): LocalDictionary {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (err) {
    throw new UsageError(
      `cannot read --file '${path}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const sha256 = createHash('sha256').update(content).digest('hex');
  const base = { path, content, sha256 };
  if (packageType !== 'TXT-DICTIONARY')
    return { ...base, mode: 'upload', reason: `${packageType} files are binary` };
  if (content.length > INLINE_TEXT_MAX_BYTES)
    return { ...base, mode: 'upload', reason: `larger than ${INLINE_TEXT_MAX_BYTES} bytes` };
  if (!isUtf8(content)) return { ...base, mode: 'upload', reason: 'not UTF-8 text' };
  return { ...base, mode: 'inline' };
}

function isUtf8(content: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(content);
    return true;
  } catch {
    return false;
  }
}

export async function sourceFor(
  file: LocalDictionary,
  packageType: string,
  staging: { bucket: string; prefix: string },
): Promise<DictionarySource> {
  if (file.mode === 'inline') return { kind: 'inline', text: file.content.toString('utf8') };
  return { kind: 's3', bucket: staging.bucket, key: stagedKey(staging.prefix, file.sha256, packageType) };
}

/** Stores the file at its content-addressed key; an object already there (same size) is kept. */
export async function uploadLocalDictionary(
  s3: S3Client,
  file: LocalDictionary,
  source: { bucket: string; key: string },
  packageType: string,
): Promise<'uploaded' | 'already-staged'> {
  const { HeadObjectCommand, PutObjectCommand } = await import('@aws-sdk/client-s3');
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: source.bucket, Key: source.key }));
    if (head.ContentLength === file.content.length) return 'already-staged';
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'NoSuchBucket') throw new UsageError(`staging bucket '${source.bucket}' does not exist`);
    if (name !== 'NotFound' && name !== 'NoSuchKey') throw err;
  }
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        Body: file.content,
        ContentType: packageType === 'TXT-DICTIONARY' ? 'text/plain; charset=utf-8' : 'application/zip',
        Metadata: { sha256: file.sha256 },
      }),
    );
  } catch (err) {
    if ((err as Error).name === 'NoSuchBucket')
      throw new UsageError(`staging bucket '${source.bucket}' does not exist`);
    throw err;
  }
  return 'uploaded';
}
