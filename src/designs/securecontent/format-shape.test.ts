import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../ledger/core/canonical-json.js';
import { parseEnvelopeHeader, sealEnvelope } from './envelope.js';
import { isDesignError } from './errors.js';
import { parseManifest, sealManifest } from './manifest.js';
import { consumerSpec, lib3mfConsumer, producerKey } from './test-support/fixtures.js';

/**
 * The manifest and envelope header are checked member by member against their
 * format tables (zod schemas of the format tables). Each case below breaks one rule of a real,
 * valid document and re-serialises it canonically, so that only the shape
 * check can refuse it.
 */

type Json = Record<string, unknown>;
const clone = (v: Json): Json => JSON.parse(JSON.stringify(v)) as Json;

const manifest = sealManifest(
  {
    format: 'fabgate.3mf-manifest',
    version: 1,
    sealId: 'ab'.repeat(32),
    parts: [
      { name: '/3D/3dmodel.model', size: 723, sha256: '01'.repeat(32), encrypted: false },
      { name: '/3D/protected.model', size: 598, sha256: '02'.repeat(32), encrypted: true },
    ],
  },
  producerKey.privateKey,
).manifest as unknown as Json;

const manifestBreaks: Record<string, (m: Json) => void> = {
  'unknown member': (m) => (m.extra = 1),
  'missing member': (m) => delete m.sealId,
  'wrong format': (m) => (m.format = 'fabgate.other'),
  'wrong version': (m) => (m.version = 2),
  'sealId not hex': (m) => (m.sealId = 'AB'.repeat(32)),
  'sealId short': (m) => (m.sealId = 'ab'.repeat(31)),
  'parts not a list': (m) => (m.parts = {}),
  'part name without slash': (m) => ((m.parts as Json[])[0]!.name = '3D/3dmodel.model'),
  'part size negative': (m) => ((m.parts as Json[])[0]!.size = -1),
  'part size fractional': (m) => ((m.parts as Json[])[0]!.size = 1.5),
  'part size a string': (m) => ((m.parts as Json[])[0]!.size = '723'),
  'part encrypted not boolean': (m) => ((m.parts as Json[])[1]!.encrypted = 1),
  'part unknown member': (m) => ((m.parts as Json[])[1]!.compressed = false),
  'signature algorithm': (m) => ((m.signature as Json).alg = 'EdDSA'),
  'signature value too long': (m) => ((m.signature as Json).value = 'A'.repeat(129)),
  'signature missing member': (m) => delete (m.signature as Json).keyId,
};

function manifestError(m: Json): string {
  try {
    parseManifest(Buffer.from(canonicalJson(m), 'utf8'));
    return 'parsed';
  } catch (e) {
    return isDesignError(e) ? `${e.code}/${(e.details as { reason: string }).reason}` : String(e);
  }
}

describe('manifest shape', () => {
  it('accepts the valid manifest, with and without its optional signature', () => {
    expect(manifestError(manifest)).toBe('parsed');
    const unsigned = clone(manifest);
    delete unsigned.signature;
    expect(manifestError(unsigned)).toBe('parsed');
  });
  for (const [rule, breakIt] of Object.entries(manifestBreaks)) {
    it(`refuses: ${rule}`, () => {
      const m = clone(manifest);
      breakIt(m);
      expect(manifestError(m)).toBe('DESIGN_MANIFEST_INVALID/schema');
    });
  }
});

async function realHeader(): Promise<{ json: Json; body: Buffer }> {
  const sealed = sealEnvelope(Readable.from([Buffer.from('G28\nG1 X10\n')], { objectMode: false }), {
    recipients: [consumerSpec(lib3mfConsumer)],
    contentType: 'text/x.gcode',
    name: 'part.gcode',
    signingKey: producerKey.privateKey,
  });
  const chunks: Buffer[] = [];
  for await (const c of sealed.stream) chunks.push(c as Buffer);
  const envelope = Buffer.concat(chunks);
  const parsed = parseEnvelopeHeader(envelope)!;
  return { json: JSON.parse(parsed.headerBytes.toString('utf8')) as Json, body: envelope.subarray(parsed.bodyOffset) };
}

function headerError(json: Json, body: Buffer): string {
  const bytes = Buffer.from(canonicalJson(json), 'utf8');
  const preamble = Buffer.alloc(12);
  preamble.write('FGENV', 0, 'latin1');
  preamble[5] = 1;
  preamble.writeUInt32BE(bytes.length, 8);
  try {
    parseEnvelopeHeader(Buffer.concat([preamble, bytes, body]));
    return 'parsed';
  } catch (e) {
    return isDesignError(e) ? `${e.code}/${(e.details as { reason: string }).reason}` : String(e);
  }
}

const headerBreaks: Record<string, (h: Json) => void> = {
  'unknown member': (h) => (h.compression = 'none'),
  'missing cipher': (h) => delete h.cipher,
  'other cipher': (h) => (h.cipher = 'AES-128-GCM-STREAM'),
  'chunk size too small': (h) => (h.chunkSize = 512),
  'chunk size too large': (h) => (h.chunkSize = 32 * 1024 * 1024),
  'nonce of 16 bytes': (h) => (h.nonce = 'A'.repeat(22) + '=='),
  'empty content type': (h) => (h.contentType = ''),
  'name too long': (h) => (h.name = 'x'.repeat(256)),
  'no recipients': (h) => (h.recipients = []),
  'recipient wrap': (h) => ((h.recipients as Json[])[0]!.wrap = 'RSA-PKCS1'),
  'recipient fingerprint': (h) => ((h.recipients as Json[])[0]!.keyFingerprint = 'xyz'),
  'recipient unknown member': (h) => ((h.recipients as Json[])[0]!.role = 'printer'),
  'signer member missing': (h) => delete (h.signer as Json).publicKey,
};

describe('envelope header shape', () => {
  it('accepts the valid header, with and without its optional members', async () => {
    const { json, body } = await realHeader();
    expect(headerError(json, body)).toBe('parsed');
    const bare = clone(json);
    delete bare.name;
    delete bare.signer;
    delete (bare.recipients as Json[])[0]!.keyId;
    expect(headerError(bare, body)).toBe('parsed');
  });
  for (const [rule, breakIt] of Object.entries(headerBreaks)) {
    it(`refuses: ${rule}`, async () => {
      const { json, body } = await realHeader();
      breakIt(json);
      expect(headerError(json, body)).toBe('DESIGN_ENVELOPE_MALFORMED/header-schema');
    });
  }
});
