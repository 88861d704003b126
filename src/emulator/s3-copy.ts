/**
 * CopyObject's request and answer (s3.ts looks the buckets up): `x-amz-copy-source:
 * [/]bucket/key[?versionId=]`, URL-encoded; metadata and content type are copied unless
 * `x-amz-metadata-directive: REPLACE` gives new ones, as S3 does.
 */
import { AwsError } from './errors.js';
import type { S3Object } from './s3.js';
import type { RawResponse, ServiceRequest } from './service.js';
import { element, XML_DECLARATION } from './xml.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function copySource(req: ServiceRequest): { bucket: string; key: string } {
  const header = headerValue(req.headers['x-amz-copy-source']) ?? '';
  let raw = header.split('?')[0]!.replace(/^\//, '');
  try {
    raw = decodeURIComponent(raw);
  } catch {
    // as sent
  }
  const slash = raw.indexOf('/');
  if (slash <= 0 || slash === raw.length - 1)
    throw new AwsError(
      'InvalidArgument',
      400,
      'Copy Source must mention the source bucket and key: sourcebucket/sourcekey',
    );
  return { bucket: raw.slice(0, slash), key: raw.slice(slash + 1) };
}

/** The new object; copying an object onto itself needs new metadata (REPLACE), as on S3. */
export function copiedObject(object: S3Object, req: ServiceRequest, ontoItself: boolean): S3Object {
  const replace = headerValue(req.headers['x-amz-metadata-directive']) === 'REPLACE';
  if (ontoItself && !replace)
    throw new AwsError(
      'InvalidRequest',
      400,
      "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
    );
  const metadata: Record<string, string> = {};
  if (replace)
    for (const [name, value] of Object.entries(req.headers))
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name] = value;
  return {
    ...object,
    body: Buffer.from(object.body),
    lastModified: req.now,
    contentType: replace
      ? (headerValue(req.headers['content-type']) ?? 'application/octet-stream')
      : object.contentType,
    metadata: replace ? metadata : { ...object.metadata },
  };
}

export function copyResult(copy: S3Object): RawResponse {
  return {
    status: 200,
    headers: { 'content-type': 'application/xml' },
    body: `${XML_DECLARATION}<CopyObjectResult xmlns="${S3_NS}">${element('ETag', copy.etag)}${element('LastModified', new Date(copy.lastModified).toISOString())}</CopyObjectResult>`,
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
