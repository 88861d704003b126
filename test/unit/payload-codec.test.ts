import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  isEncrypted,
  KEY_ID_METADATA,
  keyFingerprint,
  PayloadDecryptionError,
} from '../../src/codec/encryption-codec.js';
import { dataConverterFromEnv, payloadCodecFromEnv } from '../../src/codec/env.js';
import { startCodecServer, type RunningCodecServer } from '../../src/codec/server.js';
import { ConfigError, loadWorkerConfig } from '../../src/config.js';

const key = () => randomBytes(32);
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const secretInput = {
  packageName: 'synonyms-en',
  source: { kind: 'inline', text: 'SECRET-DICTIONARY-TEXT' },
};
const plain = (): Payload[] => [
  defaultPayloadConverter.toPayload(secretInput),
  defaultPayloadConverter.toPayload(null),
  defaultPayloadConverter.toPayload(new Uint8Array([0, 255, 1])),
];
const text = (payloads: Payload[]) =>
  payloads.map((p) => Buffer.from(p.data ?? []).toString('latin1')).join('|');

describe('EncryptionCodec (AES-256-GCM)', () => {
  it('round-trips every payload, and the stored form carries no plain text', async () => {
    const codec = new EncryptionCodec({ id: 'k1', key: key() });
    const encoded = await codec.encode(plain());
    expect(encoded).toHaveLength(3);
    for (const p of encoded) {
      expect(isEncrypted(p)).toBe(true);
      expect(Buffer.from(p.metadata![METADATA_ENCODING_KEY]!).toString()).toBe(ENCRYPTED_ENCODING);
      expect(Buffer.from(p.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
    }
    expect(text(encoded)).not.toContain('SECRET-DICTIONARY-TEXT');
    expect(text(encoded)).not.toContain('json/plain');
    const decoded = await codec.decode(encoded);
    expect(defaultPayloadConverter.fromPayload(decoded[0]!)).toEqual(secretInput);
    expect(defaultPayloadConverter.fromPayload(decoded[1]!)).toBeNull();
    expect(defaultPayloadConverter.fromPayload<Uint8Array>(decoded[2]!)).toEqual(new Uint8Array([0, 255, 1]));
  });

  it('uses a fresh IV each time: the same payload never encrypts to the same bytes', async () => {
    const codec = new EncryptionCodec({ id: 'k1', key: key() });
    const [a] = await codec.encode([defaultPayloadConverter.toPayload('same')]);
    const [b] = await codec.encode([defaultPayloadConverter.toPayload('same')]);
    expect(b64(a!.data!)).not.toBe(b64(b!.data!));
  });

  it('refuses a wrong key, an unknown key id, a relabelled key id and tampered data', async () => {
    const k = key();
    const codec = new EncryptionCodec({ id: 'k1', key: k });
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(secretInput)]);

    const wrongKey = new EncryptionCodec({ id: 'k1', key: key() });
    await expect(wrongKey.decode([sealed!])).rejects.toThrow(
      /cannot decrypt payload with key 'k1': the key is wrong or the payload was tampered with/,
    );
    const otherId = new EncryptionCodec({ id: 'k2', key: k });
    await expect(otherId.decode([sealed!])).rejects.toThrow(PayloadDecryptionError);
    await expect(otherId.decode([sealed!])).rejects.toThrow(/encrypted with key 'k1'.*has: k2/);

    const relabelled = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') },
    };
    const both = new EncryptionCodec({ id: 'k2', key: k }, [{ id: 'k1', key: k }]);
    await expect(both.decode([relabelled])).rejects.toThrow(/tampered/);

    const tampered = Buffer.from(sealed!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: tampered }])).rejects.toThrow(/tampered/);
    await expect(codec.decode([{ ...sealed!, data: new Uint8Array(5) }])).rejects.toThrow(/truncated/);
  });

  it('decrypts with previous keys after a rotation and leaves plain payloads as they are', async () => {
    const oldKey = { id: 'old', key: key() };
    const [fromOld] = await new EncryptionCodec(oldKey).encode([defaultPayloadConverter.toPayload('v1')]);
    const rotated = new EncryptionCodec({ id: 'new', key: key() }, [oldKey]);
    const [again] = await rotated.encode([defaultPayloadConverter.toPayload('v2')]);
    expect(Buffer.from(again!.metadata![KEY_ID_METADATA]!).toString()).toBe('new');
    const out = await rotated.decode([fromOld!, again!, defaultPayloadConverter.toPayload('plain')]);
    expect(out.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual(['v1', 'v2', 'plain']);
  });
});

describe('payload encryption from the environment', () => {
  it('is off without ROLLOUTS_PAYLOAD_KEY', () => {
    expect(payloadCodecFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(loadWorkerConfig({}).dataConverter).toBeUndefined();
  });

  it('builds the codec from the key; the id defaults to a fingerprint, never the key', () => {
    const k = key();
    const codec = payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: b64(k) })!;
    expect(codec.keyId).toBe(keyFingerprint(k));
    expect(codec.keyId).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(codec.keyId).not.toContain(b64(k).slice(0, 8));
    expect(
      payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: b64(k), ROLLOUTS_PAYLOAD_KEY_ID: 'prod-2025' })!.keyId,
    ).toBe('prod-2025');
    const converter = dataConverterFromEnv({ ROLLOUTS_PAYLOAD_KEY: b64(k) });
    expect(converter?.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
    const config = loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY: b64(k), ROLLOUTS_PAYLOAD_KEY_ID: 'prod-2025' });
    expect(config.payloadKeyId).toBe('prod-2025');
    expect(config.dataConverter?.payloadCodecs?.[0]).toBeInstanceOf(EncryptionCodec);
  });

  it('reads previous keys with or without an id, and decrypts what they wrote', async () => {
    const oldA = key();
    const oldB = key();
    const codec = payloadCodecFromEnv({
      ROLLOUTS_PAYLOAD_KEY: b64(key()),
      ROLLOUTS_PAYLOAD_PREVIOUS_KEYS: `2024=${b64(oldA)}, ${b64(oldB)}`,
    })!;
    const [a] = await new EncryptionCodec({ id: '2024', key: oldA }).encode([
      defaultPayloadConverter.toPayload('a'),
    ]);
    const [b] = await new EncryptionCodec({ id: keyFingerprint(oldB), key: oldB }).encode([
      defaultPayloadConverter.toPayload('b'),
    ]);
    expect((await codec.decode([a!, b!])).map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      'a',
      'b',
    ]);
  });

  it.each([
    [{ ROLLOUTS_PAYLOAD_KEY: 'not base64!' }, /ROLLOUTS_PAYLOAD_KEY must be base64 of 32 random bytes/],
    [
      { ROLLOUTS_PAYLOAD_KEY: b64(randomBytes(16)) },
      /ROLLOUTS_PAYLOAD_KEY must decode to 32 bytes \(AES-256\), got 16/,
    ],
    [{ ROLLOUTS_PAYLOAD_KEY_ID: 'k1' }, /ROLLOUTS_PAYLOAD_KEY_ID is set but ROLLOUTS_PAYLOAD_KEY is not/],
    [
      { ROLLOUTS_PAYLOAD_KEY: b64(randomBytes(32)), ROLLOUTS_PAYLOAD_KEY_ID: 'has space' },
      /ROLLOUTS_PAYLOAD_KEY_ID: key id 'has space' must be 1-64 characters/,
    ],
    [
      {
        ROLLOUTS_PAYLOAD_KEY: b64(randomBytes(32)),
        ROLLOUTS_PAYLOAD_PREVIOUS_KEYS: `ok=${b64(randomBytes(32))},old=short`,
      },
      /ROLLOUTS_PAYLOAD_PREVIOUS_KEYS\[1\] must/,
    ],
  ])('a bad value stops the worker with a ConfigError naming the variable (%#)', (env, message) => {
    expect(() => loadWorkerConfig(env)).toThrow(ConfigError);
    expect(() => loadWorkerConfig(env)).toThrow(message);
  });

  it('never puts key material into an error message', () => {
    const shortKey = b64(randomBytes(31));
    let message = '';
    try {
      loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY: shortKey });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/ROLLOUTS_PAYLOAD_KEY/);
    expect(message).not.toContain(shortKey.slice(0, 12));
  });
});

describe('codec server (Temporal remote codec protocol)', () => {
  let server: RunningCodecServer;
  const k = key();
  const codec = new EncryptionCodec({ id: 'ui', key: k });
  beforeAll(async () => {
    server = await startCodecServer({ codec, corsOrigins: ['http://localhost:8233'] });
  });
  afterAll(async () => {
    await server?.stop();
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const json = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k2, v]) => [k2, b64(v!)])),
    data: b64(p.data ?? new Uint8Array()),
  });

  it('decodes what the worker stored and encodes what the UI sends, in proto3 JSON form', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(secretInput)]);
    const decoded = await post('/decode', { payloads: [json(sealed!)] });
    expect(decoded.status).toBe(200);
    const body = (await decoded.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    expect(Buffer.from(body.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(body.payloads[0]!.data, 'base64').toString())).toEqual(secretInput);

    const encoded = await post('/encode', {
      payloads: [json(defaultPayloadConverter.toPayload({ wave: 2 }))],
    });
    const out = (await encoded.json()) as {
      payloads: Array<{ metadata: Record<string, string>; data: string }>;
    };
    expect(Buffer.from(out.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const back = await codec.decode([
      {
        metadata: Object.fromEntries(
          Object.entries(out.payloads[0]!.metadata).map(([k2, v]) => [
            k2,
            new Uint8Array(Buffer.from(v, 'base64')),
          ]),
        ),
        data: new Uint8Array(Buffer.from(out.payloads[0]!.data, 'base64')),
      },
    ]);
    expect(defaultPayloadConverter.fromPayload(back[0]!)).toEqual({ wave: 2 });
  });

  it('answers CORS preflights for the Web UI origin only', async () => {
    const ok = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:8233',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-namespace',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const evil = await fetch(`${server.url}/decode`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const fromEvil = await post('/decode', { payloads: [] }, { origin: 'https://evil.example' });
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('says what is wrong with a bad request or a payload from another key, without echoing it', async () => {
    expect((await post('/decode', 'not json')).status).toBe(400);
    expect((await post('/decode', { nope: 1 })).status).toBe(400);
    expect((await fetch(`${server.url}/decode`)).status).toBe(405);
    expect((await post('/other', { payloads: [] })).status).toBe(404);
    const [foreign] = await new EncryptionCodec({ id: 'ui', key: key() }).encode([
      defaultPayloadConverter.toPayload(secretInput),
    ]);
    const res = await post('/decode', { payloads: [json(foreign!)] });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toMatch(/cannot decrypt payload with key 'ui'/);
    expect(body).not.toContain('SECRET-DICTIONARY-TEXT');
  });
});
