/**
 * Verifies the OIDC access token the Web UI forwards to the codec server
 * (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true` on the UI): a JWT signed with RS256 or ES256 by a key
 * in the identity provider's JWKS, issued by the expected issuer, for the expected audience, and
 * not expired. The JWKS is read from a file (fetched and refreshed by whatever deploys the codec
 * server), so the codec server makes no outbound calls of its own.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface JwtVerifierOptions {
  /** The JWKS document: `{ "keys": [ { "kid": ..., "kty": "RSA" | "EC", ... } ] }`. */
  jwks: { keys: Array<JsonWebKey & { kid?: string }> };
  issuer: string;
  audience: string;
  /** Clock skew allowed on exp/nbf, seconds [60]. */
  leewaySeconds?: number;
  now?: () => number;
}

const ALGORITHMS: Record<string, { hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { hash: 'sha256' },
  ES256: { hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

function part(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

/** A function for CodecServerOptions.authorize: true only for a valid `Bearer <jwt>`. */
export function jwtVerifier(options: JwtVerifierOptions): (authorization: string | undefined) => boolean {
  const keys = new Map<string, KeyObject>();
  for (const [i, jwk] of options.jwks.keys.entries())
    keys.set(jwk.kid ?? `#${i}`, createPublicKey({ key: jwk, format: 'jwk' }));
  const leeway = options.leewaySeconds ?? 60;
  const now = options.now ?? (() => Date.now() / 1000);
  return (authorization) => {
    const m = /^Bearer ([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
    if (!m) return false;
    try {
      const header = part(m[1]!);
      const claims = part(m[2]!);
      const alg = ALGORITHMS[String(header.alg)];
      const key = keys.get(String(header.kid ?? '#0'));
      if (!alg || !key) return false;
      const signed = Buffer.from(`${m[1]}.${m[2]}`);
      const signature = Buffer.from(m[3]!, 'base64url');
      const keyInput = alg.dsaEncoding ? { key, dsaEncoding: alg.dsaEncoding } : key;
      if (!verify(alg.hash, signed, keyInput, signature)) return false;
      const t = now();
      if (typeof claims.exp !== 'number' || claims.exp + leeway < t) return false;
      if (typeof claims.nbf === 'number' && claims.nbf - leeway > t) return false;
      if (claims.iss !== options.issuer) return false;
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      return aud.includes(options.audience);
    } catch {
      return false;
    }
  };
}
