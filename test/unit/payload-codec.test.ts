import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, METADATA_ENCODING_KEY, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CIPHER_METADATA,
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  FORMAT_METADATA,
  isEncrypted,
  KEY_ID_METADATA,
  keyFingerprint,
  PayloadDecryptionError,
} from '../../src/codec/encryption-codec.js';
import { dataConverterFromEnv, payloadCodecFromEnv } from '../../src/codec/env.js';
import {
  CodecServerConfigError,
  startCodecServer,
  tokenMatches,
  type RunningCodecServer,
} from '../../src/codec/server.js';
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
      /cannot decrypt payload with key 'k1' in namespace 'default': the key is wrong, the payload was written for another namespace, or it was tampered with/,
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

describe('EncryptionCodec format 2: strict mode, namespace and header in the AAD', () => {
  it('strict mode refuses a plain payload; without it the payload passes through', async () => {
    const k = { id: 'k1', key: key() };
    const strict = new EncryptionCodec(k, [], { strict: true });
    await expect(strict.decode([defaultPayloadConverter.toPayload({ injected: true })])).rejects.toThrow(
      /refusing a payload that is not encrypted: payload encryption is on in strict mode/,
    );
    const [sealed] = await strict.encode([defaultPayloadConverter.toPayload('ok')]);
    expect(defaultPayloadConverter.fromPayload((await strict.decode([sealed!]))[0]!)).toBe('ok');
    const lax = new EncryptionCodec(k);
    expect(await lax.decode([defaultPayloadConverter.toPayload('plain')])).toHaveLength(1);
  });

  it('a payload written in one namespace does not decrypt in another', async () => {
    const k = { id: 'k1', key: key() };
    const [sealed] = await new EncryptionCodec(k, [], { namespace: 'team-a' }).encode([
      defaultPayloadConverter.toPayload(secretInput),
    ]);
    await expect(new EncryptionCodec(k, [], { namespace: 'team-b' }).decode([sealed!])).rejects.toThrow(
      /cannot decrypt payload with key 'k1' in namespace 'team-b'/,
    );
    const back = await new EncryptionCodec(k, [], { namespace: 'team-a' }).decode([sealed!]);
    expect(defaultPayloadConverter.fromPayload(back[0]!)).toEqual(secretInput);
  });

  it('authenticates the header: a changed format or cipher is refused, not reinterpreted', async () => {
    const codec = new EncryptionCodec({ id: 'k1', key: key() });
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(secretInput)]);
    expect(Buffer.from(sealed!.metadata![FORMAT_METADATA]!).toString()).toBe('2');
    const asV1 = { ...sealed!, metadata: { ...sealed!.metadata, [FORMAT_METADATA]: Buffer.from('1') } };
    await expect(codec.decode([asV1])).rejects.toThrow(/tampered/);
    const noFormat = { ...sealed!, metadata: { ...sealed!.metadata } };
    delete noFormat.metadata[FORMAT_METADATA];
    await expect(codec.decode([noFormat])).rejects.toThrow(/tampered/);
    const otherCipher = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [CIPHER_METADATA]: Buffer.from('NONE') },
    };
    await expect(codec.decode([otherCipher])).rejects.toThrow(/names cipher 'NONE'/);
    const future = { ...sealed!, metadata: { ...sealed!.metadata, [FORMAT_METADATA]: Buffer.from('9') } };
    await expect(codec.decode([future])).rejects.toThrow(/encryption format '9'/);
  });
});

describe('payload encryption from the environment', () => {
  it('is strict once a key is set (ROLLOUTS_PAYLOAD_STRICT=false for a migration) and binds TEMPORAL_NAMESPACE', () => {
    const k = b64(key());
    expect(payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: k })!.strict).toBe(true);
    expect(payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: k })!.namespace).toBe('default');
    expect(payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: k, ROLLOUTS_PAYLOAD_STRICT: 'false' })!.strict).toBe(
      false,
    );
    expect(payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY: k, TEMPORAL_NAMESPACE: 'prod' })!.namespace).toBe(
      'prod',
    );
    expect(() => loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY: k, ROLLOUTS_PAYLOAD_STRICT: 'yes' })).toThrow(
      /ROLLOUTS_PAYLOAD_STRICT must be true or false, got 'yes'/,
    );
  });

  it('reads the key from ROLLOUTS_PAYLOAD_KEY_FILE (a docker secret), naming the variable when it cannot', () => {
    const k = key();
    const file = join(tmpdir(), `payload-key-${process.pid}`);
    writeFileSync(file, `${b64(k)}\n`);
    expect(payloadCodecFromEnv({ ROLLOUTS_PAYLOAD_KEY_FILE: file })!.keyId).toBe(keyFingerprint(k));
    expect(() => loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY_FILE: `${file}-missing` })).toThrow(
      /ROLLOUTS_PAYLOAD_KEY_FILE: cannot read '.*-missing': ENOENT/,
    );
    expect(() => loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY_FILE: file, ROLLOUTS_PAYLOAD_KEY: b64(k) })).toThrow(
      /both set/,
    );
  });

  it('refuses a key id that is key material, without echoing it', () => {
    const material = b64(key());
    let message = '';
    try {
      loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY: b64(key()), ROLLOUTS_PAYLOAD_KEY_ID: material });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/ROLLOUTS_PAYLOAD_KEY_ID: the key id looks like key material/);
    expect(message).not.toContain(material.slice(0, 10));
    let other = '';
    try {
      loadWorkerConfig({ ROLLOUTS_PAYLOAD_KEY: b64(key()), ROLLOUTS_PAYLOAD_KEY_ID: `${material}!` });
    } catch (err) {
      other = (err as Error).message;
    }
    expect(other).toMatch(/value not shown/);
    expect(other).not.toContain(material.slice(0, 10));
  });

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
      /ROLLOUTS_PAYLOAD_KEY_ID: a key id must be 1-64 characters .* \(got 9 characters; value not shown/,
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

const TOKEN = 'codec-test-token-0123456789abcdef0123456789';

describe('codec server (Temporal remote codec protocol)', () => {
  let server: RunningCodecServer;
  let noEncode: RunningCodecServer;
  const k = key();
  const codec = new EncryptionCodec({ id: 'ui', key: k });
  beforeAll(async () => {
    server = await startCodecServer({
      codec,
      token: TOKEN,
      enableEncode: true,
      corsOrigins: ['http://localhost:8233'],
    });
    noEncode = await startCodecServer({ codec, token: TOKEN });
  });
  afterAll(async () => {
    await server?.stop();
    await noEncode?.stop();
  });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}, base = server.url) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-namespace': 'default',
        authorization: `Bearer ${TOKEN}`,
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  /** node:http, which (unlike fetch) sends the Host header it is given. */
  const rawPost = (path: string, headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const req = request(
        `${server.url}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify({ payloads: [] }));
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

  it('refuses a request without the token or with a wrong one (constant-time comparison)', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(secretInput)]);
    const none = await post('/decode', { payloads: [json(sealed!)] }, { authorization: '' });
    expect(none.status).toBe(401);
    expect(await none.text()).not.toContain('SECRET-DICTIONARY-TEXT');
    expect((await post('/decode', { payloads: [] }, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('/decode', { payloads: [] }, { authorization: TOKEN })).status).toBe(401);
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin, even with the token', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await rawPost('/decode', { ...auth, host: `127.0.0.1:${server.port}` })).toBe(200);
    expect(await rawPost('/decode', { ...auth, host: `localhost:${server.port}` })).toBe(200);
    expect(await rawPost('/decode', { ...auth, host: `rebind.attacker.example:${server.port}` })).toBe(421);
    expect(await rawPost('/decode', { ...auth, host: 'rebind.attacker.example' })).toBe(421);
    const fromEvil = await post('/decode', { payloads: [] }, { origin: 'https://evil.example' });
    expect(fromEvil.status).toBe(403);
    expect(fromEvil.headers.get('access-control-allow-origin')).toBeNull();
    const fromUi = await post('/decode', { payloads: [] }, { origin: 'http://localhost:8233' });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
  });

  it('answers /encode only when enabled', async () => {
    const res = await post(
      '/encode',
      { payloads: [json(defaultPayloadConverter.toPayload(1))] },
      {},
      noEncode.url,
    );
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/\/encode is off/);
    expect((await post('/decode', { payloads: [] }, {}, noEncode.url)).status).toBe(200);
  });

  it('matches paths exactly, binds X-Namespace, and never runs with * origins or without authentication', async () => {
    expect((await post('/decode/', { payloads: [] })).status).toBe(404);
    expect((await post('/decode//', { payloads: [] })).status).toBe(404);
    expect((await post(`/${'/'.repeat(16_000)}decode`, { payloads: [] })).status).toBe(404);
    const [other] = await codec
      .forNamespace('team-a')
      .encode([defaultPayloadConverter.toPayload(secretInput)]);
    expect((await post('/decode', { payloads: [json(other!)] })).status).toBe(400);
    expect((await post('/decode', { payloads: [json(other!)] }, { 'x-namespace': 'team-a' })).status).toBe(
      200,
    );
    expect((await post('/decode', { payloads: [] }, { 'x-namespace': '' })).status).toBe(400);
    await expect(startCodecServer({ codec, token: TOKEN, corsOrigins: ['*'] })).rejects.toThrow(
      CodecServerConfigError,
    );
    await expect(startCodecServer({ codec })).rejects.toThrow(/needs a token/);
    await expect(startCodecServer({ codec, allowUnauthenticated: true, host: '0.0.0.0' })).rejects.toThrow(
      /needs a token/,
    );
    const local = await startCodecServer({ codec, allowUnauthenticated: true });
    try {
      const res = await fetch(`${local.url}/decode`, {
        method: 'POST',
        headers: { 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(res.status).toBe(200);
    } finally {
      await local.stop();
    }
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
