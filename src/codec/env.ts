import type { DataConverter } from '@temporalio/common';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_NAMESPACE,
  EncryptionCodec,
  KEY_BYTES,
  keyFingerprint,
  type EncryptionKey,
} from './encryption-codec.js';

/**
 * The optional payload encryption, configured from the environment. The worker, the client, the
 * CLI and the codec server read the same variables, so they agree on the key:
 *
 * - `ROLLOUTS_PAYLOAD_KEY`: base64 of 32 random bytes (`openssl rand -base64 32`). Set = on.
 * - `ROLLOUTS_PAYLOAD_KEY_FILE`: or a file holding it (a docker or Kubernetes secret).
 * - `ROLLOUTS_PAYLOAD_KEY_ID`: the id written beside each payload [the key's fingerprint].
 * - `ROLLOUTS_PAYLOAD_PREVIOUS_KEYS`: after a rotation, the old keys (decrypt only), comma
 *   separated, each `id=base64` or just `base64` (id = fingerprint).
 * - `ROLLOUTS_PAYLOAD_STRICT`: refuse payloads that are not encrypted [true once a key is set].
 * - `TEMPORAL_NAMESPACE`: bound into every payload's AAD ['default'].
 */
export const PAYLOAD_KEY_VARIABLES = [
  'ROLLOUTS_PAYLOAD_KEY',
  'ROLLOUTS_PAYLOAD_KEY_FILE',
  'ROLLOUTS_PAYLOAD_KEY_ID',
  'ROLLOUTS_PAYLOAD_PREVIOUS_KEYS',
  'ROLLOUTS_PAYLOAD_STRICT',
] as const;

/** Message names the variable; config.ts turns it into a ConfigError (exit 78 in the worker). */
export class PayloadKeyConfigError extends Error {
  override readonly name = 'PayloadKeyConfigError';
}

type Env = Record<string, string | undefined>;

const KEY_ID = /^[A-Za-z0-9._:-]{1,64}$/;

function decodeKey(variable: string, raw: string): Uint8Array {
  const text = raw.trim();
  // Buffer.from(..., 'base64') skips what it does not understand; be strict instead.
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0)
    throw new PayloadKeyConfigError(
      `${variable} must be base64 of ${KEY_BYTES} random bytes (e.g. \`openssl rand -base64 32\`)`,
    );
  const key = Buffer.from(text, 'base64');
  if (key.length !== KEY_BYTES)
    throw new PayloadKeyConfigError(
      `${variable} must decode to ${KEY_BYTES} bytes (AES-256), got ${key.length} (e.g. \`openssl rand -base64 32\`)`,
    );
  return new Uint8Array(key);
}

/**
 * A key id is written in clear beside every payload and logged at start, so an id that is key
 * material pasted into the wrong variable must be refused, and never echoed in the error.
 */
function checkId(variable: string, id: string): string {
  const looksLikeKey = /^[A-Za-z0-9+/]{43}=?$/.test(id) && Buffer.from(id, 'base64').length === KEY_BYTES;
  if (looksLikeKey)
    throw new PayloadKeyConfigError(
      `${variable}: the key id looks like key material (base64 of ${KEY_BYTES} bytes); it is stored in clear beside every payload, so use a name such as 'prod-2026-12' (value not shown)`,
    );
  if (!KEY_ID.test(id))
    throw new PayloadKeyConfigError(
      `${variable}: a key id must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-' (got ${id.length} characters; value not shown, in case it is key material)`,
    );
  return id;
}

function keyText(env: Env): { variable: string; raw: string } | undefined {
  const inline = env.ROLLOUTS_PAYLOAD_KEY;
  const file = env.ROLLOUTS_PAYLOAD_KEY_FILE;
  if (inline && file)
    throw new PayloadKeyConfigError(
      'ROLLOUTS_PAYLOAD_KEY and ROLLOUTS_PAYLOAD_KEY_FILE are both set: set one',
    );
  if (inline) return { variable: 'ROLLOUTS_PAYLOAD_KEY', raw: inline };
  if (!file) return undefined;
  try {
    return { variable: 'ROLLOUTS_PAYLOAD_KEY_FILE', raw: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new PayloadKeyConfigError(
      `ROLLOUTS_PAYLOAD_KEY_FILE: cannot read '${file}': ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/** The keys from the environment, or undefined when encryption is off. Never logs a key. */
export function payloadKeysFromEnv(
  env: Env = process.env,
): { current: EncryptionKey; previous: EncryptionKey[] } | undefined {
  const source = keyText(env);
  if (!source) {
    for (const other of [
      'ROLLOUTS_PAYLOAD_KEY_ID',
      'ROLLOUTS_PAYLOAD_PREVIOUS_KEYS',
      'ROLLOUTS_PAYLOAD_STRICT',
    ] as const)
      if (env[other])
        throw new PayloadKeyConfigError(
          `${other} is set but ROLLOUTS_PAYLOAD_KEY is not: set ROLLOUTS_PAYLOAD_KEY (base64 of ${KEY_BYTES} bytes) or ROLLOUTS_PAYLOAD_KEY_FILE to turn payload encryption on`,
        );
    return undefined;
  }
  const key = decodeKey(source.variable, source.raw);
  const id = env.ROLLOUTS_PAYLOAD_KEY_ID
    ? checkId('ROLLOUTS_PAYLOAD_KEY_ID', env.ROLLOUTS_PAYLOAD_KEY_ID)
    : keyFingerprint(key);
  const previous: EncryptionKey[] = [];
  for (const [i, entry] of (env.ROLLOUTS_PAYLOAD_PREVIOUS_KEYS ?? '')
    .split(',')
    .map((s) => s.trim())
    .entries()) {
    if (!entry) continue;
    const variable = `ROLLOUTS_PAYLOAD_PREVIOUS_KEYS[${i}]`;
    const eq = entry.indexOf('=', 1);
    // base64 may end in '=': an id is present only when the '=' is followed by key material.
    const hasId = eq > 0 && eq < entry.length - 1 && !/^=+$/.test(entry.slice(eq));
    const oldKey = decodeKey(variable, hasId ? entry.slice(eq + 1) : entry);
    previous.push({
      id: hasId ? checkId(variable, entry.slice(0, eq)) : keyFingerprint(oldKey),
      key: oldKey,
    });
  }
  return { current: { id, key }, previous };
}

function strictFromEnv(env: Env): boolean {
  const v = env.ROLLOUTS_PAYLOAD_STRICT;
  if (v === undefined || v === '') return true;
  if (v !== 'true' && v !== 'false')
    throw new PayloadKeyConfigError(`ROLLOUTS_PAYLOAD_STRICT must be true or false, got '${v}'`);
  return v === 'true';
}

/** The codec, or undefined when neither ROLLOUTS_PAYLOAD_KEY nor ROLLOUTS_PAYLOAD_KEY_FILE is set. */
export function payloadCodecFromEnv(env: Env = process.env): EncryptionCodec | undefined {
  const keys = payloadKeysFromEnv(env);
  if (!keys) return undefined;
  return new EncryptionCodec(keys.current, keys.previous, {
    strict: strictFromEnv(env),
    namespace: env.TEMPORAL_NAMESPACE || DEFAULT_NAMESPACE,
  });
}

/**
 * What a Temporal Client (and the worker) takes as `dataConverter`: the encryption codec when
 * ROLLOUTS_PAYLOAD_KEY is set, else undefined (Temporal's defaults).
 *
 *   new Client({ connection, namespace, dataConverter: dataConverterFromEnv() })
 */
export function dataConverterFromEnv(env: Env = process.env): DataConverter | undefined {
  const codec = payloadCodecFromEnv(env);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
