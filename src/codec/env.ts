import type { DataConverter } from '@temporalio/common';
import { EncryptionCodec, KEY_BYTES, keyFingerprint, type EncryptionKey } from './encryption-codec.js';

/**
 * The optional payload encryption, configured from the environment. The worker, the client, the
 * CLI and the codec server read the same variables, so they agree on the key:
 *
 * - `ROLLOUTS_PAYLOAD_KEY`: base64 of 32 random bytes (`openssl rand -base64 32`). Set = on.
 * - `ROLLOUTS_PAYLOAD_KEY_ID`: the id written beside each payload [the key's fingerprint].
 * - `ROLLOUTS_PAYLOAD_PREVIOUS_KEYS`: after a rotation, the old keys (decrypt only), comma
 *   separated, each `id=base64` or just `base64` (id = fingerprint).
 */
export const PAYLOAD_KEY_VARIABLES = [
  'ROLLOUTS_PAYLOAD_KEY',
  'ROLLOUTS_PAYLOAD_KEY_ID',
  'ROLLOUTS_PAYLOAD_PREVIOUS_KEYS',
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

function checkId(variable: string, id: string): string {
  if (!KEY_ID.test(id))
    throw new PayloadKeyConfigError(
      `${variable}: key id '${id}' must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', ':' and '-'`,
    );
  return id;
}

/** The keys from the environment, or undefined when encryption is off. Never logs a key. */
export function payloadKeysFromEnv(
  env: Env = process.env,
): { current: EncryptionKey; previous: EncryptionKey[] } | undefined {
  const raw = env.ROLLOUTS_PAYLOAD_KEY;
  if (raw === undefined || raw === '') {
    for (const other of ['ROLLOUTS_PAYLOAD_KEY_ID', 'ROLLOUTS_PAYLOAD_PREVIOUS_KEYS'] as const)
      if (env[other])
        throw new PayloadKeyConfigError(
          `${other} is set but ROLLOUTS_PAYLOAD_KEY is not: set ROLLOUTS_PAYLOAD_KEY (base64 of ${KEY_BYTES} bytes) to turn payload encryption on`,
        );
    return undefined;
  }
  const key = decodeKey('ROLLOUTS_PAYLOAD_KEY', raw);
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

/** The codec, or undefined when ROLLOUTS_PAYLOAD_KEY is not set. */
export function payloadCodecFromEnv(env: Env = process.env): EncryptionCodec | undefined {
  const keys = payloadKeysFromEnv(env);
  return keys ? new EncryptionCodec(keys.current, keys.previous) : undefined;
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
