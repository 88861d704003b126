/**
 * S3 as this project uses it, path-style over REST-XML: request classification, buckets (one global
 * namespace across the emulator's accounts and Regions), objects, ListObjectsV2's pages and
 * aws-chunked bodies. Over 400 lines because it is one service's whole wire surface; CopyObject's
 * parsing is in s3-copy.ts, ListObjectsV2's pages in s3-list.ts, bucket policies in s3-policies.ts.
 */
import { createHash } from 'node:crypto';
import { AwsError } from './errors.js';
import type { RawResponse, ServiceRequest } from './service.js';
import type { S3BucketSnapshot } from './types.js';
import { copiedObject, copyResult, copySource } from './s3-copy.js';
import { listObjectsV2 } from './s3-list.js';
import {
  bucketAllows,
  checkBucketAccess,
  parseBucketPolicy,
  type ParsedPolicy,
  type PolicyCaller,
} from './s3-policies.js';
import { element, XML_DECLARATION } from './xml.js';

export interface S3Object {
  body: Buffer;
  etag: string;
  sha256: string;
  lastModified: number;
  contentType: string;
  metadata: Record<string, string>;
}

interface Bucket {
  name: string;
  createdAt: number;
  objects: Map<string, S3Object>;
  /** Where the bucket lives: bucket names are global, each bucket is in one Region and account. */
  region: string;
  owner: string;
  /** The bucket policy (s3-policies.ts): what other accounts may do here. */
  policy?: ParsedPolicy;
}

/** The account and Region a request acts in, and who signed it (server.ts works them out). */
export interface S3Caller extends PolicyCaller {
  region: string;
}

export interface S3Operation {
  operation: string;
  mutating: boolean;
  bucket?: string;
  key?: string;
}

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** Path-style addressing only: `/bucket` and `/bucket/key`. The query string picks sub-resources. */
export function classifyS3(
  method: string,
  rawPath: string,
  query: URLSearchParams,
  headers: ServiceRequest['headers'] = {},
): S3Operation | undefined {
  const path = rawPath.startsWith('/') ? rawPath.slice(1) : rawPath;
  if (path === '') return method === 'GET' ? { operation: 'ListBuckets', mutating: false } : undefined;
  const slash = path.indexOf('/');
  const bucket = decode(slash < 0 ? path : path.slice(0, slash));
  const rawKey = slash < 0 ? '' : path.slice(slash + 1);
  if (rawKey === '') {
    if (query.has('policy') && hasNoSubresource(query, 'policy')) {
      if (method === 'PUT') return { operation: 'PutBucketPolicy', mutating: true, bucket };
      if (method === 'GET') return { operation: 'GetBucketPolicy', mutating: false, bucket };
      if (method === 'DELETE') return { operation: 'DeleteBucketPolicy', mutating: true, bucket };
    }
    if (method === 'PUT' && hasNoSubresource(query))
      return { operation: 'CreateBucket', mutating: true, bucket };
    if (method === 'HEAD') return { operation: 'HeadBucket', mutating: false, bucket };
    if (method === 'DELETE' && hasNoSubresource(query))
      return { operation: 'DeleteBucket', mutating: true, bucket };
    if (method === 'GET' && query.get('list-type') === '2') {
      return { operation: 'ListObjectsV2', mutating: false, bucket };
    }
    return undefined;
  }
  const key = decode(rawKey);
  switch (method) {
    case 'PUT':
      if (!hasNoSubresource(query)) return undefined;
      return headers['x-amz-copy-source'] !== undefined
        ? { operation: 'CopyObject', mutating: true, bucket, key }
        : { operation: 'PutObject', mutating: true, bucket, key };
    case 'GET':
      return hasNoSubresource(query) ? { operation: 'GetObject', mutating: false, bucket, key } : undefined;
    case 'HEAD':
      return { operation: 'HeadObject', mutating: false, bucket, key };
    case 'DELETE':
      return hasNoSubresource(query) ? { operation: 'DeleteObject', mutating: true, bucket, key } : undefined;
    default:
      return undefined;
  }
}

/**
 * The SDK adds `x-id=<Operation>`; anything else (acl, tagging, uploads, ...) is a sub-resource we
 * lack, but for `except` (the one the caller is classifying).
 */
function hasNoSubresource(query: URLSearchParams, except?: string): boolean {
  for (const name of query.keys()) {
    if (name !== 'x-id' && name !== except) return false;
  }
  return true;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * S3 of every account and Region the emulator serves: bucket names are one global namespace, as on
 * AWS, and each bucket belongs to the account and Region it was created in (CreateBucket's
 * LocationConstraint, else the request's Region). ListBuckets lists the caller's own buckets.
 * Objects are read from any Region (the SDK would follow S3's redirect). Another account reads or
 * writes a bucket only as its policy allows (s3-policies.ts): a fleet's place copies the file
 * staged once into its own bucket when the staging bucket's policy lets its role read it.
 */
export class S3Service {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly defaultPlace: S3Caller) {}

  reset(): void {
    this.buckets.clear();
  }

  /** For OpenSearch's package copy: the object as it is now, or undefined. */
  getObject(bucket: string, key: string): S3Object | undefined {
    return this.buckets.get(bucket)?.objects.get(key);
  }

  /** The Region a bucket lives in, or undefined when there is no such bucket. */
  bucketRegion(bucket: string): string | undefined {
    return this.buckets.get(bucket)?.region;
  }

  handle(op: S3Operation, req: ServiceRequest, caller: S3Caller = this.defaultPlace): RawResponse {
    const bucketName = op.bucket ?? '';
    switch (op.operation) {
      case 'ListBuckets':
        return this.listBuckets(caller);
      case 'CreateBucket':
        return this.createBucket(bucketName, req, caller);
      case 'HeadBucket':
        return {
          status: 200,
          headers: { 'x-amz-bucket-region': this.allowed(bucketName, caller, 's3:ListBucket').region },
        };
      case 'DeleteBucket':
        return this.deleteBucket(this.allowed(bucketName, caller, 's3:DeleteBucket'));
      case 'PutBucketPolicy':
        return this.putPolicy(this.owned(bucketName, caller), req);
      case 'GetBucketPolicy':
        return this.getPolicy(this.owned(bucketName, caller));
      case 'DeleteBucketPolicy':
        delete this.owned(bucketName, caller).policy;
        return { status: 204, headers: {} };
      case 'ListObjectsV2':
        return listObjectsV2(this.allowed(bucketName, caller, 's3:ListBucket'), req.query);
      case 'PutObject':
        return this.putObject(this.allowed(bucketName, caller, 's3:PutObject', op.key), op.key ?? '', req);
      case 'CopyObject':
        return this.copyObject(
          this.allowed(bucketName, caller, 's3:PutObject', op.key),
          op.key ?? '',
          req,
          caller,
        );
      case 'GetObject':
      case 'HeadObject':
        return this.getOrHead(
          caller,
          this.allowed(bucketName, caller, 's3:GetObject', op.key),
          op.key ?? '',
          op.operation === 'HeadObject',
        );
      case 'DeleteObject':
        this.allowed(bucketName, caller, 's3:DeleteObject', op.key).objects.delete(op.key ?? '');
        return { status: 204, headers: {} };
      default:
        throw new AwsError('NotImplemented', 501, `${op.operation} is not implemented by the emulator`);
    }
  }

  private requireBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) {
      throw new AwsError('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: name });
    }
    return bucket;
  }

  /** A bucket the caller may act on as `action`: its own account's, or as the bucket policy allows. */
  private allowed(name: string, caller: S3Caller, action: string, key?: string): Bucket {
    const bucket = this.requireBucket(name);
    checkBucketAccess(bucket, caller, action, `arn:aws:s3:::${name}${key === undefined ? '' : `/${key}`}`);
    return bucket;
  }

  /**
   * The bucket's policy: its own account only. Another account is refused with 405
   * MethodNotAllowed, as S3 answers a policy call from outside the owner's account.
   */
  private owned(name: string, caller: S3Caller): Bucket {
    const bucket = this.requireBucket(name);
    if (bucket.owner !== caller.account)
      throw new AwsError(
        'MethodNotAllowed',
        405,
        'The specified method is not allowed against this resource.',
      );
    return bucket;
  }

  /**
   * A key that is not there: 404 to a caller who may list the bucket, else 403 AccessDenied, so
   * that whether a key exists is not told to whoever may only read (as S3 answers).
   */
  private noSuchKey(caller: S3Caller, bucket: Bucket, key: string, headOnly: boolean): AwsError {
    if (!bucketAllows(bucket, caller, 's3:ListBucket', `arn:aws:s3:::${bucket.name}`))
      return new AwsError('AccessDenied', 403, 'Access Denied');
    // HeadObject has no body to carry a code: the SDK reports a bare 404 as NotFound.
    return new AwsError(headOnly ? 'NotFound' : 'NoSuchKey', 404, 'The specified key does not exist.', {
      Key: key,
    });
  }

  private putPolicy(bucket: Bucket, req: ServiceRequest): RawResponse {
    bucket.policy = parseBucketPolicy(payloadOf(req).toString('utf8'), bucket.name);
    return { status: 204, headers: {} };
  }

  private getPolicy(bucket: Bucket): RawResponse {
    if (!bucket.policy)
      throw new AwsError('NoSuchBucketPolicy', 404, 'The bucket policy does not exist', {
        BucketName: bucket.name,
      });
    return { status: 200, headers: { 'content-type': 'application/json' }, body: bucket.policy.text };
  }

  private listBuckets(caller: S3Caller): RawResponse {
    const buckets = [...this.buckets.values()]
      .filter((b) => b.owner === caller.account)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map(
        (b) =>
          `<Bucket>${element('Name', b.name)}${element('CreationDate', new Date(b.createdAt).toISOString())}</Bucket>`,
      )
      .join('');
    const body = `${XML_DECLARATION}<ListAllMyBucketsResult xmlns="${S3_NS}"><Owner><ID>emulator</ID></Owner><Buckets>${buckets}</Buckets></ListAllMyBucketsResult>`;
    return xml(body);
  }

  private createBucket(name: string, req: ServiceRequest, caller: S3Caller): RawResponse {
    if (!BUCKET_NAME.test(name) || name.includes('..')) {
      throw new AwsError('InvalidBucketName', 400, 'The specified bucket is not valid.', {
        BucketName: name,
      });
    }
    const region = locationConstraint(req.body) ?? caller.region;
    const existing = this.buckets.get(name);
    if (existing && existing.owner !== caller.account) {
      throw new AwsError(
        'BucketAlreadyExists',
        409,
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        { BucketName: name },
      );
    }
    if (existing) {
      // us-east-1 answers 200 to the owner for historical reasons; every other region refuses.
      if (region === 'us-east-1' && existing.region === 'us-east-1')
        return { status: 200, headers: { location: `/${name}` } };
      throw new AwsError(
        'BucketAlreadyOwnedByYou',
        409,
        'Your previous request to create the named bucket succeeded and you already own it.',
        { BucketName: name },
      );
    }
    this.buckets.set(name, { name, createdAt: req.now, objects: new Map(), region, owner: caller.account });
    return { status: 200, headers: { location: `/${name}` } };
  }

  private deleteBucket(bucket: Bucket): RawResponse {
    if (bucket.objects.size > 0) {
      throw new AwsError('BucketNotEmpty', 409, 'The bucket you tried to delete is not empty', {
        BucketName: bucket.name,
      });
    }
    this.buckets.delete(bucket.name);
    return { status: 204, headers: {} };
  }

  private putObject(bucket: Bucket, key: string, req: ServiceRequest): RawResponse {
    if (key.length > 1024) throw new AwsError('KeyTooLongError', 400, 'Your key is too long');
    const body = payloadOf(req);
    const metadata: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name] = value;
    }
    const object: S3Object = {
      body,
      etag: `"${createHash('md5').update(body).digest('hex')}"`,
      sha256: createHash('sha256').update(body).digest('hex'),
      lastModified: req.now,
      contentType: headerValue(req.headers['content-type']) ?? 'application/octet-stream',
      metadata,
    };
    bucket.objects.set(key, object);
    return { status: 200, headers: { etag: object.etag } };
  }

  /** CopyObject (s3-copy.ts): the source may be in any Region, or account whose policy lets the caller read it. */
  private copyObject(bucket: Bucket, key: string, req: ServiceRequest, caller: S3Caller): RawResponse {
    if (key.length > 1024) throw new AwsError('KeyTooLongError', 400, 'Your key is too long');
    const source = copySource(req);
    const from = this.allowed(source.bucket, caller, 's3:GetObject', source.key);
    const object = from.objects.get(source.key);
    if (!object) throw this.noSuchKey(caller, from, source.key, false);
    const copy = copiedObject(object, req, from === bucket && source.key === key);
    bucket.objects.set(key, copy);
    return copyResult(copy);
  }

  private getOrHead(caller: S3Caller, bucket: Bucket, key: string, headOnly: boolean): RawResponse {
    const object = bucket.objects.get(key);
    if (!object) throw this.noSuchKey(caller, bucket, key, headOnly);
    const headers: Record<string, string> = {
      'content-type': object.contentType,
      'content-length': String(object.body.length),
      etag: object.etag,
      'last-modified': new Date(object.lastModified).toUTCString(),
      'accept-ranges': 'bytes',
      ...object.metadata,
    };
    return headOnly ? { status: 200, headers } : { status: 200, headers, body: object.body };
  }

  /** The buckets of one account and Region. */
  snapshot(place: S3Caller = this.defaultPlace): S3BucketSnapshot[] {
    return [...this.buckets.values()]
      .filter((b) => b.owner === place.account && b.region === place.region)
      .map((b) => ({
        name: b.name,
        createdAt: new Date(b.createdAt).toISOString(),
        objects: [...b.objects.entries()]
          .sort(([a], [b2]) => (a < b2 ? -1 : 1))
          .map(([key, o]) => ({
            key,
            size: o.body.length,
            sha256: o.sha256,
            etag: o.etag,
            lastModified: new Date(o.lastModified).toISOString(),
          })),
      }));
  }

  save(): SavedBucket[] {
    return [...this.buckets.values()].map((b) => ({
      name: b.name,
      createdAt: b.createdAt,
      region: b.region,
      owner: b.owner,
      ...(b.policy ? { policy: b.policy.text } : {}),
      objects: [...b.objects.entries()].map(([key, o]) => ({
        key,
        body: o.body.toString('base64'),
        etag: o.etag,
        sha256: o.sha256,
        lastModified: o.lastModified,
        contentType: o.contentType,
        metadata: o.metadata,
      })),
    }));
  }

  restore(saved: SavedBucket[]): void {
    this.buckets.clear();
    for (const b of saved) {
      const objects = new Map<string, S3Object>();
      for (const o of b.objects) {
        objects.set(o.key, {
          body: Buffer.from(o.body, 'base64'),
          etag: o.etag,
          sha256: o.sha256,
          lastModified: o.lastModified,
          contentType: o.contentType,
          metadata: o.metadata,
        });
      }
      // Files saved before places: the default account and Region.
      this.buckets.set(b.name, {
        name: b.name,
        createdAt: b.createdAt,
        objects,
        region: b.region ?? this.defaultPlace.region,
        owner: b.owner ?? this.defaultPlace.account,
        ...(b.policy !== undefined ? { policy: parseBucketPolicy(b.policy, b.name) } : {}),
      });
    }
  }
}

export interface SavedBucket {
  name: string;
  createdAt: number;
  region?: string;
  owner?: string;
  /** The bucket policy document, as it was put. */
  policy?: string;
  objects: Array<{
    key: string;
    body: string;
    etag: string;
    sha256: string;
    lastModified: number;
    contentType: string;
    metadata: Record<string, string>;
  }>;
}

/** CreateBucketConfiguration's LocationConstraint, when the body carries one. */
function locationConstraint(body: Buffer): string | undefined {
  const match = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(body.toString('utf8'));
  return match?.[1] ? match[1] : undefined;
}

function xml(body: string): RawResponse {
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** A request's payload: the body, or what its aws-chunked framing carries. */
function payloadOf(req: ServiceRequest): Buffer {
  return isAwsChunked(req.headers) ? decodeAwsChunked(req.body) : req.body;
}

/** SDK uploads may use aws-chunked framing with a trailing checksum (the default since 2025). */
function isAwsChunked(headers: ServiceRequest['headers']): boolean {
  const encoding = headerValue(headers['content-encoding']) ?? '';
  const payloadHash = headerValue(headers['x-amz-content-sha256']) ?? '';
  return encoding.includes('aws-chunked') || payloadHash.startsWith('STREAMING-');
}

function decodeAwsChunked(framed: Buffer): Buffer {
  const chunks: Buffer[] = [];
  let pos = 0;
  while (pos < framed.length) {
    const lineEnd = framed.indexOf('\r\n', pos);
    if (lineEnd < 0) break;
    const sizeText = framed.subarray(pos, lineEnd).toString('latin1').split(';')[0] ?? '';
    const size = Number.parseInt(sizeText, 16);
    if (!Number.isFinite(size)) throw new AwsError('IncompleteBody', 400, 'Malformed aws-chunked body');
    pos = lineEnd + 2;
    if (size === 0) break; // trailers (checksums) follow; the emulator does not verify them
    chunks.push(framed.subarray(pos, pos + size));
    pos += size + 2;
  }
  return Buffer.concat(chunks);
}
