import { validation } from './errors.js';
import { optionalRecord, optionalString, type StringRule } from './validation.js';

/** What the IoT package operations accept: names, client tokens, attributes and artifacts. */

const NAME: StringRule = { min: 1, pattern: /^[a-zA-Z0-9\-_.]+$/, patternText: '[a-zA-Z0-9-_.]+' };
export const PACKAGE_NAME: StringRule = { ...NAME, max: 128 };
export const VERSION_NAME: StringRule = { ...NAME, max: 64 };
export const CLIENT_TOKEN: StringRule = {
  min: 36,
  max: 64,
  pattern: /^\S{36,64}$/,
  patternText: '\\S{36,64}',
};
const ATTRIBUTE_KEY = /^[a-zA-Z0-9:_-]+$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
export const MAX_ATTRIBUTES_BYTES = 3072;

export interface Artifact {
  s3Location?: { bucket?: string; key?: string; version?: string };
}

export function checkAttributes(value: unknown): Record<string, string> | undefined {
  const attributes = optionalRecord(value, 'attributes');
  if (attributes === undefined) return undefined;
  let bytes = 0;
  for (const [key, attributeValue] of Object.entries(attributes)) {
    if (!ATTRIBUTE_KEY.test(key)) {
      throw validation(
        `1 validation error detected: Value '${key}' at 'attributes' failed to satisfy constraint: Map keys must satisfy regular expression pattern: [a-zA-Z0-9:_-]+`,
      );
    }
    if (attributeValue.length === 0 || CONTROL_CHARACTERS.test(attributeValue)) {
      throw validation(`Attribute ${key} must have a non-empty value without control characters`);
    }
    bytes += Buffer.byteLength(key) + Buffer.byteLength(attributeValue);
  }
  if (bytes > MAX_ATTRIBUTES_BYTES) {
    throw validation(
      `The attributes of a package version total ${bytes} bytes; the combined size of all attributes is limited to 3KB`,
    );
  }
  return attributes;
}

export function parseArtifact(value: unknown): Artifact | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw validation('artifact must be an object');
  const location = (value as Record<string, unknown>).s3Location;
  if (location === undefined) return {};
  if (typeof location !== 'object' || location === null)
    throw validation('artifact.s3Location must be an object');
  const raw = location as Record<string, unknown>;
  const bucket = optionalString(raw.bucket, 'artifact.s3Location.bucket', { min: 1 });
  const key = optionalString(raw.key, 'artifact.s3Location.key', { min: 1 });
  const version = optionalString(raw.version, 'artifact.s3Location.version', { min: 1 });
  return {
    s3Location: {
      ...(bucket !== undefined ? { bucket } : {}),
      ...(key !== undefined ? { key } : {}),
      ...(version !== undefined ? { version } : {}),
    },
  };
}
