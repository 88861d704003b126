import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

// A CommonJS module: Node's ESM loader sees only its default export.
const ProtoPayload = proto.temporal.api.common.v1.Payload;

/**
 * Encryption at rest of every payload Temporal stores (workflow inputs and results, activity
 * arguments and results, failure details, query and update arguments): AES-256-GCM, the whole
 * original payload (metadata + data, protobuf-encoded) sealed into the data of a new payload.
 *
 * Wire format of an encrypted payload, the same as Temporal's encryption samples:
 *   metadata.encoding          = "binary/encrypted"
 *   metadata.encryption-key-id = the key's id (which key to decrypt with; keys can rotate)
 *   metadata.encryption-cipher = "AES-256-GCM"
 *   data                       = 12-byte IV || ciphertext || 16-byte GCM tag
 * The key id is bound as additional authenticated data, so a payload cannot be relabelled.
 *
 * Decoding leaves payloads that are not encrypted as they are: turning encryption on for a
 * namespace with older, plain histories keeps those readable.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const CIPHER = 'AES-256-GCM';
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload could not be decrypted: unknown key id, wrong key, or tampered data. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

/** A short, stable, non-reversible id for a key: `sha256:` and the first 16 hex of its SHA-256. */
export function keyFingerprint(key: Uint8Array): string {
  return `sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export interface EncryptionKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

export class EncryptionCodec implements PayloadCodec {
  readonly keyId: string;
  private readonly encryptKey: Buffer;
  private readonly keys = new Map<string, Buffer>();

  /**
   * @param current encrypts new payloads (and decrypts).
   * @param previous decrypt only: payloads written before a key rotation.
   */
  constructor(current: EncryptionKey, previous: EncryptionKey[] = []) {
    for (const k of [current, ...previous]) {
      if (k.key.length !== KEY_BYTES)
        throw new RangeError(`encryption key '${k.id}' must be ${KEY_BYTES} bytes, got ${k.key.length}`);
      if (!k.id) throw new RangeError('encryption key id must not be empty');
      if (!this.keys.has(k.id)) this.keys.set(k.id, Buffer.from(k.key));
    }
    this.keyId = current.id;
    this.encryptKey = this.keys.get(current.id)!;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = ProtoPayload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryptKey, iv);
      cipher.setAAD(utf8.encode(this.keyId));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8.encode(this.keyId),
          [CIPHER_METADATA]: utf8.encode(CIPHER),
        },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) return payload;
      const keyIdBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = keyIdBytes ? fromUtf8.decode(keyIdBytes) : '';
      const key = this.keys.get(keyId);
      if (!key)
        throw new PayloadDecryptionError(
          `payload was encrypted with key '${keyId}', which this process does not have (it has: ${[...this.keys.keys()].join(', ')}); set ROLLOUTS_PAYLOAD_PREVIOUS_KEYS after a key rotation`,
        );
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError(`encrypted payload (key '${keyId}') is truncated`);
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const body = data.subarray(IV_BYTES, data.length - TAG_BYTES);
      let plain: Buffer;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, iv);
        decipher.setAAD(utf8.encode(keyId));
        decipher.setAuthTag(tag);
        plain = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(
          `cannot decrypt payload with key '${keyId}': the key is wrong or the payload was tampered with`,
        );
      }
      return ProtoPayload.decode(plain);
    });
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}
