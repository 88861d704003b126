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
 * Wire format of an encrypted payload (format 2, written today):
 *   metadata.encoding          = "binary/encrypted"
 *   metadata.encryption-key-id = the key's id (which key to decrypt with; keys can rotate)
 *   metadata.encryption-cipher = "AES-256-GCM"
 *   metadata.encryption-format = "2"
 *   data                       = 12-byte IV || ciphertext || 16-byte GCM tag
 * The additional authenticated data binds the whole header and the namespace:
 *   "package-rollouts/payload\n2\n<key id>\nAES-256-GCM\n<namespace>"
 * so a payload cannot be relabelled (another key id, cipher or format) nor replayed into another
 * namespace. Format 1 (no encryption-format; AAD = the key id only) is what the codec wrote before
 * the format was versioned; it is still read (test/fixtures/payload-v1.json), never written.
 *
 * Strict mode (the default wherever the key comes from the environment, see env.ts) refuses
 * payloads that are not encrypted: in an encrypted deployment anyone with Temporal write access
 * could otherwise inject plain inputs, signals or updates. Without it, plain payloads pass
 * through decode, which is what a namespace with older, plain histories needs while it moves to
 * encryption.
 */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
export const CIPHER_METADATA = 'encryption-cipher';
export const FORMAT_METADATA = 'encryption-format';
export const CIPHER = 'AES-256-GCM';
export const FORMAT = '2';
export const KEY_BYTES = 32;
export const DEFAULT_NAMESPACE = 'default';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload could not be decrypted: unknown key id, wrong key, tampered data, or plain in strict mode. */
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

export interface EncryptionCodecOptions {
  /** Refuse payloads that are not encrypted [false; true from the environment]. */
  strict?: boolean;
  /** Bound into every payload's AAD: a payload from another namespace does not decrypt ['default']. */
  namespace?: string;
}

function aad(format: string, keyId: string, namespace: string): Uint8Array {
  if (format === '1') return utf8.encode(keyId);
  return utf8.encode(`package-rollouts/payload\n${format}\n${keyId}\n${CIPHER}\n${namespace}`);
}

export class EncryptionCodec implements PayloadCodec {
  readonly keyId: string;
  readonly strict: boolean;
  readonly namespace: string;
  private readonly encryptKey: Buffer;
  private readonly keys = new Map<string, Buffer>();
  private readonly current: EncryptionKey;
  private readonly previous: EncryptionKey[];

  /**
   * @param current encrypts new payloads (and decrypts).
   * @param previous decrypt only: payloads written before a key rotation.
   */
  constructor(current: EncryptionKey, previous: EncryptionKey[] = [], options: EncryptionCodecOptions = {}) {
    for (const k of [current, ...previous]) {
      if (k.key.length !== KEY_BYTES)
        throw new RangeError(`encryption key '${k.id}' must be ${KEY_BYTES} bytes, got ${k.key.length}`);
      if (!k.id) throw new RangeError('encryption key id must not be empty');
      if (!this.keys.has(k.id)) this.keys.set(k.id, Buffer.from(k.key));
    }
    this.keyId = current.id;
    this.encryptKey = this.keys.get(current.id)!;
    this.strict = options.strict ?? false;
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.previous = previous;
    this.current = current;
  }

  /**
   * The same keys bound to another namespace, and optionally another mode: the codec server
   * binds each request to its X-Namespace, and shows plain payloads as they are (displaying one
   * trusts nothing).
   */
  forNamespace(namespace: string, strict = this.strict): EncryptionCodec {
    if (namespace === this.namespace && strict === this.strict) return this;
    return new EncryptionCodec(this.current, this.previous, { strict, namespace });
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = ProtoPayload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryptKey, iv);
      cipher.setAAD(aad(FORMAT, this.keyId, this.namespace));
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          [METADATA_ENCODING_KEY]: utf8.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8.encode(this.keyId),
          [CIPHER_METADATA]: utf8.encode(CIPHER),
          [FORMAT_METADATA]: utf8.encode(FORMAT),
        },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!isEncrypted(payload)) {
        if (!this.strict) return payload;
        throw new PayloadDecryptionError(
          'refusing a payload that is not encrypted: payload encryption is on in strict mode, so plain inputs, signals and updates are not accepted (encode them with the same key, or set ROLLOUTS_PAYLOAD_STRICT=false while older plain histories are still open)',
        );
      }
      const text = (name: string) => {
        const bytes = payload.metadata?.[name];
        return bytes ? fromUtf8.decode(bytes) : undefined;
      };
      const keyId = text(KEY_ID_METADATA) ?? '';
      const format = text(FORMAT_METADATA) ?? '1';
      if (format !== '1' && format !== FORMAT)
        throw new PayloadDecryptionError(
          `payload (key '${keyId}') has encryption format '${format}', which this version does not know`,
        );
      const cipherName = text(CIPHER_METADATA);
      if (cipherName !== undefined && cipherName !== CIPHER)
        throw new PayloadDecryptionError(
          `payload (key '${keyId}') names cipher '${cipherName}', not ${CIPHER}`,
        );
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
        decipher.setAAD(aad(format, keyId, this.namespace));
        decipher.setAuthTag(tag);
        plain = Buffer.concat([decipher.update(body), decipher.final()]);
      } catch {
        throw new PayloadDecryptionError(
          `cannot decrypt payload with key '${keyId}' in namespace '${this.namespace}': the key is wrong, the payload was written for another namespace, or it was tampered with`,
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
