import { generateKeyPairSync, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';
import { jwtVerifier } from '../../src/codec/jwt.js';
import { startCodecServer } from '../../src/codec/server.js';

/** The Web UI's forwarded OIDC access token, checked against the identity provider's JWKS. */
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = (key: KeyObject, kid: string) => ({ ...(key.export({ format: 'jwk' }) as JsonWebKey), kid });
const jwks = { keys: [jwk(rsa.publicKey, 'rsa-1'), jwk(ec.publicKey, 'ec-1')] };
const ISSUER = 'https://login.example.com/';
const AUDIENCE = 'temporal-ui';
const now = Math.floor(Date.now() / 1000);

function token(claims: Record<string, unknown>, kid = 'rsa-1', key: KeyObject = rsa.privateKey): string {
  const alg = kid.startsWith('ec') ? 'ES256' : 'RS256';
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const signed = `${enc({ alg, kid, typ: 'JWT' })}.${enc(claims)}`;
  const signature = sign(
    'sha256',
    Buffer.from(signed),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
  );
  return `Bearer ${signed}.${signature.toString('base64url')}`;
}
const good = { iss: ISSUER, aud: AUDIENCE, exp: now + 300, sub: 'alice' };

describe('codec server: the UI forwarded OIDC token', () => {
  const verify = jwtVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE });

  it('accepts a token signed by a key of the JWKS (RS256 and ES256) for this issuer and audience', () => {
    expect(verify(token(good))).toBe(true);
    expect(verify(token(good, 'ec-1', ec.privateKey))).toBe(true);
    expect(verify(token({ ...good, aud: ['other', AUDIENCE] }))).toBe(true);
  });

  it('refuses a foreign signature, another issuer or audience, an expired token and garbage', () => {
    expect(verify(token(good, 'rsa-1', other.privateKey))).toBe(false);
    expect(verify(token({ ...good, iss: 'https://evil.example/' }))).toBe(false);
    expect(verify(token({ ...good, aud: 'someone-else' }))).toBe(false);
    expect(verify(token({ ...good, exp: now - 3600 }))).toBe(false);
    expect(verify(token({ ...good, exp: undefined }))).toBe(false);
    expect(verify(token(good, 'unknown-kid'))).toBe(false);
    expect(verify(undefined)).toBe(false);
    expect(verify('Bearer a.b.c')).toBe(false);
    const [h, p, s] = token(good).slice('Bearer '.length).split('.');
    const none = Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url');
    expect(verify(`Bearer ${none}.${p}.${s}`)).toBe(false);
    expect(h).toBeTruthy();
  });

  it('lets a request with the token in, and one without out', async () => {
    const codec = new EncryptionCodec({ id: 'ui', key: Buffer.alloc(32, 1) });
    const server = await startCodecServer({ codec, authorize: verify });
    try {
      const post = (authorization?: string) =>
        fetch(`${server.url}/decode`, {
          method: 'POST',
          headers: { 'x-namespace': 'default', ...(authorization ? { authorization } : {}) },
          body: JSON.stringify({ payloads: [] }),
        });
      expect((await post(token(good))).status).toBe(200);
      expect((await post()).status).toBe(401);
      expect((await post(token({ ...good, exp: now - 3600 }))).status).toBe(401);
    } finally {
      await server.stop();
    }
  });
});
