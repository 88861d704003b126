/**
 * S3 as this project uses it, path-style over REST-XML: request classification, buckets (one global
 * namespace across the emulator's accounts and Regions), objects, ListObjectsV2's pages and
 * aws-chunked bodies. Over 400 lines because it is one service's whole wire surface; CopyObject's
 * parsing is in s3-copy.ts.
 */
import { createHash } from 'node:crypto';
import { AwsError } from './errors.js';
import type { RawResponse, ServiceRequest } from './service.js';
import type { S3BucketSnapshot } from './types.js';
import { copiedObject, copyResult, copySource } from './s3-copy.js';
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
}

/** The account and Region a request acts in (server.ts works them out from its signature). */
export interface S3Caller {
  account: string;
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

/** The SDK adds `x-id=<Operation>`; anything else (acl, tagging, uploads, ...) is a sub-resource we lack. */
function hasNoSubresource(query: URLSearchParams): boolean {
  for (const name of query.keys()) {
    if (name !== 'x-id') return false;
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
 * Objects are read from any Region (the SDK would follow S3's redirect) and from any of the
 * emulator's accounts (the emulator keeps no bucket policies: it acts as if the owner's policy
 * granted its other accounts read access), so CopyObject can copy a file staged once into each
 * place's bucket; writing to another account's bucket is AccessDenied.
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
        return { status: 200, headers: { 'x-amz-bucket-region': this.requireBucket(bucketName).region } };
      case 'DeleteBucket':
        return this.deleteBucket(this.writable(bucketName, caller));
      case 'ListObjectsV2':
        return this.listObjectsV2(this.requireBucket(bucketName), req.query);
      case 'PutObject':
        return this.putObject(this.writable(bucketName, caller), op.key ?? '', req);
      case 'CopyObject':
        return this.copyObject(this.writable(bucketName, caller), op.key ?? '', req);
      case 'GetObject':
      case 'HeadObject':
        return this.getOrHead(this.requireBucket(bucketName), op.key ?? '', op.operation === 'HeadObject');
      case 'DeleteObject':
        this.writable(bucketName, caller).objects.delete(op.key ?? '');
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

  /** A bucket the caller may change: its own account's, in any Region. */
  private writable(name: string, caller: S3Caller): Bucket {
    const bucket = this.requireBucket(name);
    if (bucket.owner !== caller.account) throw new AwsError('AccessDenied', 403, 'Access Denied');
    return bucket;
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
    const body = isAwsChunked(req.headers) ? decodeAwsChunked(req.body) : req.body;
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

  /** CopyObject (s3-copy.ts): the source may be in any Region or account of the emulator. */
  private copyObject(bucket: Bucket, key: string, req: ServiceRequest): RawResponse {
    if (key.length > 1024) throw new AwsError('KeyTooLongError', 400, 'Your key is too long');
    const source = copySource(req);
    const from = this.requireBucket(source.bucket);
    const object = from.objects.get(source.key);
    if (!object)
      throw new AwsError('NoSuchKey', 404, 'The specified key does not exist.', { Key: source.key });
    const copy = copiedObject(object, req, from === bucket && source.key === key);
    bucket.objects.set(key, copy);
    return copyResult(copy);
  }

  private getOrHead(bucket: Bucket, key: string, headOnly: boolean): RawResponse {
    const object = bucket.objects.get(key);
    if (!object) {
      // HeadObject has no body to carry a code: the SDK reports a bare 404 as NotFound.
      throw new AwsError(headOnly ? 'NotFound' : 'NoSuchKey', 404, 'The specified key does not exist.', {
        Key: key,
      });
    }
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

  private listObjectsV2(bucket: Bucket, query: URLSearchParams): RawResponse {
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') ?? '';
    const startAfter = query.get('start-after') ?? '';
    const continuationToken = query.get('continuation-token') ?? undefined;
    const encodeUrl = query.get('encoding-type') === 'url';
    const maxKeysParam = query.get('max-keys');
    const maxKeys = maxKeysParam === null ? 1000 : Math.min(1000, Math.max(0, Number(maxKeysParam) || 0));

    let marker = startAfter;
    if (continuationToken !== undefined) {
      try {
        marker = Buffer.from(continuationToken, 'base64url').toString('utf8');
      } catch {
        throw new AwsError('InvalidArgument', 400, 'The continuation token provided is incorrect');
      }
    }
    const keys = [...bucket.objects.keys()].filter((k) => k.startsWith(prefix) && k > marker).sort();

    const contents: string[] = [];
    const commonPrefixes: string[] = [];
    let lastEmitted: string | undefined;
    let count = 0;
    let truncated = false;
    for (const key of keys) {
      // Keys under a common prefix already returned belong to it, not to this page.
      if (
        lastEmitted !== undefined &&
        delimiter &&
        lastEmitted.endsWith(delimiter) &&
        key.startsWith(lastEmitted)
      ) {
        continue;
      }
      if (marker && delimiter && marker.endsWith(delimiter) && key.startsWith(marker)) continue;
      if (count === maxKeys) {
        truncated = true;
        break;
      }
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      const enc = (v: string) => (encodeUrl ? encodeURIComponent(v).replace(/%2F/g, '/') : v);
      if (cut >= 0) {
        const commonPrefix = key.slice(0, cut + delimiter.length);
        commonPrefixes.push(`<CommonPrefixes>${element('Prefix', enc(commonPrefix))}</CommonPrefixes>`);
        lastEmitted = commonPrefix;
      } else {
        const object = bucket.objects.get(key)!;
        contents.push(
          `<Contents>${element('Key', enc(key))}${element('LastModified', new Date(object.lastModified).toISOString())}${element('ETag', object.etag)}${element('Size', object.body.length)}${element('StorageClass', 'STANDARD')}</Contents>`,
        );
        lastEmitted = key;
      }
      count++;
    }
    const nextToken =
      truncated && lastEmitted !== undefined
        ? Buffer.from(lastEmitted, 'utf8').toString('base64url')
        : undefined;
    const body =
      `${XML_DECLARATION}<ListBucketResult xmlns="${S3_NS}">` +
      element('Name', bucket.name) +
      element('Prefix', prefix) +
      (delimiter ? element('Delimiter', delimiter) : '') +
      element('MaxKeys', maxKeys) +
      (encodeUrl ? element('EncodingType', 'url') : '') +
      element('KeyCount', count) +
      element('IsTruncated', truncated) +
      (continuationToken !== undefined ? element('ContinuationToken', continuationToken) : '') +
      element('NextContinuationToken', nextToken) +
      (startAfter ? element('StartAfter', startAfter) : '') +
      contents.join('') +
      commonPrefixes.join('') +
      '</ListBucketResult>';
    return xml(body);
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
      });
    }
  }
}

export interface SavedBucket {
  name: string;
  createdAt: number;
  region?: string;
  owner?: string;
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
