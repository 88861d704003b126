import { readFileSync } from 'node:fs';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../../src/codec/encryption-codec.js';

/**
 * test/fixtures/payload-v1.json was written by the codec as it was before its format was
 * versioned (AAD = key id only). Histories in Postgres hold payloads like it for as long as the
 * namespace retains them, so every later codec must still read it.
 */
const fixture = JSON.parse(readFileSync('test/fixtures/payload-v1.json', 'utf8')) as {
  key: string;
  payload: { metadata: Record<string, string>; data: string };
};
const stored: Payload = {
  metadata: Object.fromEntries(
    Object.entries(fixture.payload.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
  ),
  data: new Uint8Array(Buffer.from(fixture.payload.data, 'base64')),
};

describe('a payload written by the first codec format', () => {
  it('still decodes', async () => {
    const codec = new EncryptionCodec({ id: 'fixture-v1', key: Buffer.from(fixture.key, 'base64') });
    const [out] = await codec.decode([stored]);
    expect(defaultPayloadConverter.fromPayload(out!)).toEqual({
      packageName: 'synonyms-en',
      note: 'written by the v1 codec (key id only in the AAD)',
    });
  });
});
