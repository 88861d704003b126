/**
 * ListObjectsV2 (s3.ts looks the bucket up): a page of keys under a prefix, keys sharing the part
 * up to the delimiter rolled into CommonPrefixes, a continuation token that is the last key
 * returned, URL-encoded keys when asked, at most 1,000 per page, as S3 answers.
 */
import { AwsError } from './errors.js';
import type { S3Object } from './s3.js';
import type { RawResponse } from './service.js';
import { element, XML_DECLARATION } from './xml.js';

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/';

export function listObjectsV2(
  bucket: { name: string; objects: Map<string, S3Object> },
  query: URLSearchParams,
): RawResponse {
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
  return { status: 200, headers: { 'content-type': 'application/xml' }, body };
}
