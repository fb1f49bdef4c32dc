/**
 * Test material made with the real producer functions: an issuer key pair,
 * device keys (RSA-3072 and Ed25519, made once per test file), tickets signed
 * with `signPrintTicket`, designs sealed with `sealEnvelope` / `protectPackage`
 * from the real G-code and 3MF files in ../shared/data, and transparency-log
 * receipts built with the ledger core.
 */
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { keyFingerprint } from '../../designs/securecontent/keys.js';
import { sealEnvelope } from '../../designs/securecontent/envelope.js';
import { protectPackage } from '../../designs/securecontent/protect.js';
import { bufferSink, rewritePackage } from '../../designs/securecontent/test-support/zips.js';
import type { Envelope } from '../../gcode/envelope.js';
import { formatCheckpoint } from '../../ledger/core/checkpoint.js';
import { CompactRange } from '../../ledger/core/compact-range.js';
import { hashLeaf } from '../../ledger/core/hash.js';
import { MemoryHashStore } from '../../ledger/core/hash-store.js';
import { SIGNATURE_TYPE } from '../../ledger/core/key-id.js';
import { Ed25519NoteSigner, formatVerifierKey } from '../../ledger/core/keys.js';
import { leafForRecord } from '../../ledger/core/leaf.js';
import { signNote } from '../../ledger/core/note.js';
import { inclusionProof } from '../../ledger/core/proof.js';
import { formatReceipt } from '../../ledger/core/receipt.js';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { signPrintTicket, ticketRecord, type PrintTicketClaims, type TicketIssuerKey } from '../../tickets/ticket.js';
import { generateDeviceKeys, type DeviceKeys } from '../keys.js';

export const GCODE = {
  screw: sharedData('gcode', 'prusaslicer', 'screw.gcode'),
  part: sharedData('gcode', 'prusaslicer', 'part.gcode'),
  bgcode: sharedData('gcode', 'libbgcode', 'tests', 'data', 'mini_cube_ps2.8.1.bgcode'),
  nut3mf: sharedData('gcode', 'prusaslicer', 'nut.3mf'),
};

/** An envelope the PrusaSlicer fixtures (MK3-class printer profile) keep. */
export const ENVELOPE: Envelope = {
  build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  bed_temp_c: { max: 110 },
  feed_rate_mm_min: { max: 12000 },
  layer_height_mm: { min: 0.05, max: 0.35 },
  tools: [0],
  forbidden_commands: ['M302', 'M500', 'M502'],
  extrusion_mm: { max: 100000 },
};

/** For the PrusaSlicer 2.8 MK4 .bgcode sample: faster moves, and it sends M302. */
export const MK4_ENVELOPE: Envelope = { build_volume_mm: { x: [-10, 260], y: [-10, 220], z: [0, 220] }, nozzle_temp_c: { max: 280 }, feed_rate_mm_min: { max: 20000 } };

export function makeIssuer(kid = 'fabgate-test-2026'): TicketIssuerKey & { publicKey: KeyObject; jwk: { kid: string; kty: 'OKP'; crv: 'Ed25519'; x: string } } {
  const pair = generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' }) as { x: string };
  return { kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk: { kid, kty: 'OKP', crv: 'Ed25519', x: jwk.x } };
}

let cachedKeys: Promise<DeviceKeys[]> | undefined;
/** Real device keys (RSA-3072 + Ed25519), made once per test file: RSA generation is slow. */
export function deviceKeys(n = 3): Promise<DeviceKeys[]> {
  cachedKeys ??= Promise.all(Array.from({ length: n }, () => generateDeviceKeys()));
  return cachedKeys;
}

export interface DeviceRef {
  id: string;
  keys: DeviceKeys;
}

export function ticketFor(device: DeviceRef, designHash: string, issuer: TicketIssuerKey, overrides: Partial<PrintTicketClaims> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const claims: PrintTicketClaims = {
    v: 1,
    jti: `tkt_${randomBytes(6).toString('hex')}`,
    iss: 'fabgate.test',
    iat: now - 60,
    nbf: now - 60,
    exp: now + 86_400,
    licence: { id: 'lic_test', reference: 'DE-2026-TEST-0001' },
    design: { manifest_sha256: designHash, name: 'test part' },
    devices: [{ id: device.id, content_key_sha256: keyFingerprint(device.keys.contentKey), signing_key_sha256: keyFingerprint(device.keys.signingKey) }],
    prints: 2,
    envelope: ENVELOPE,
    nonce: randomBytes(16).toString('base64url'),
    ...overrides,
  };
  return signPrintTicket(claims, issuer);
}

export function tempDir(prefix = 'fabgate-agent-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Write a ticket bundle file (TICKET-FORMAT.md §7). */
export function writeBundle(dir: string, jws: string, log?: { receipt: string; salt: string }): string {
  const file = join(dir, `${randomBytes(4).toString('hex')}.ticket.json`);
  writeFileSync(file, JSON.stringify({ format: 'fabgate.ticket-bundle.v1', ticket: jws, ...(log ? { log } : {}) }));
  return file;
}

export const producer = generateKeyPairSync('ed25519');

/** Seal G-code bytes into a Fabgate envelope for one device; returns the file and its envelope hash. */
export async function sealGcode(dir: string, gcode: Buffer, device: DeviceRef, name = 'part.gcode', contentType = 'text/x.gcode'): Promise<{ file: string; hash: string }> {
  const sealed = sealEnvelope(Readable.from([gcode]), {
    recipients: [{ consumerId: device.id, publicKey: createPublicKey(device.keys.contentKey) }],
    contentType,
    name,
    signingKey: producer.privateKey,
    chunkSize: 16 * 1024,
  });
  const { sink, bytes } = bufferSink();
  await new Promise<void>((resolve, reject) => sealed.stream.pipe(sink).on('finish', resolve).on('error', reject));
  const file = join(dir, `${name}.${randomBytes(3).toString('hex')}.fgenv`);
  await writeFile(file, bytes());
  return { file, hash: sealed.summary().envelopeHash };
}

/**
 * A "G-code 3MF": PrusaSlicer's nut.3mf with a sliced G-code part added (as
 * slicers that export plate G-code inside a 3MF do), protected for one device.
 */
export async function protectGcode3mf(dir: string, gcode: Buffer, device: DeviceRef, gcodeParts = 1): Promise<{ file: string; hash: string }> {
  const plain = await rewritePackage(readFileSync(GCODE.nut3mf), (parts) => {
    const types = parts.get('/[Content_Types].xml')!.toString('utf8');
    parts.set('/[Content_Types].xml', Buffer.from(types.replace('</Types>', ' <Default Extension="gcode" ContentType="text/x.gcode"/>\n</Types>')));
    for (let i = 1; i <= gcodeParts; i++) parts.set(`/Metadata/plate_${i}.gcode`, gcode);
  });
  const { sink, bytes } = bufferSink();
  const result = await protectPackage({ buffer: plain }, sink, {
    consumers: [{ consumerId: device.id, publicKey: createPublicKey(device.keys.contentKey) }],
    signingKey: producer.privateKey,
    compress: true,
  });
  const file = join(dir, `nut-gcode.${randomBytes(3).toString('hex')}.3mf`);
  await writeFile(file, bytes());
  return { file, hash: result.manifestHash };
}

/** A transparency log (its own Ed25519 key) that can log tickets and hand out their receipts. */
export function makeLog(origin = 'fabgate.test/log'): { verifierKey: string; receiptFor(jws: string, jti: string): { receipt: string; salt: string } } {
  const signer = new Ed25519NoteSigner(origin, randomBytes(32));
  const verifierKey = formatVerifierKey({ name: signer.name, keyId: signer.keyId, type: SIGNATURE_TYPE.ed25519, publicKey: signer.publicKey });
  return {
    verifierKey,
    receiptFor(jws, jti) {
      const salt = randomBytes(32);
      const leaves = [
        leafForRecord({ eventType: 'case.decided', time: new Date(), recordType: 'decision', recordId: 'dec_1', record: { decision: 'approve' }, salt: randomBytes(32) }),
        leafForRecord({ eventType: 'ticket.issued', time: new Date(), recordType: 'print_ticket', recordId: jti, record: ticketRecord(jws), salt }),
        leafForRecord({ eventType: 'licence.issued', time: new Date(), recordType: 'licence', recordId: 'lic_test', record: { id: 'lic_test' }, salt: randomBytes(32) }),
      ];
      const store = new MemoryHashStore();
      const range = CompactRange.empty();
      for (const l of leaves) {
        store.appendLeafHash(l.leafHash);
        range.append(hashLeaf(l.leaf));
      }
      const size = BigInt(leaves.length);
      const checkpoint = signNote(formatCheckpoint({ origin, size, rootHash: range.root(), extensions: [] }), [signer]);
      const receipt = formatReceipt({ extra: leaves[1]!.leaf, index: 1n, proof: inclusionProof(store, 1n, size), checkpoint });
      return { receipt, salt: salt.toString('hex') };
    },
  };
}

/** A real G-code file with a line inserted after line `after` (1-based): the new line is line `after + 1`. */
export function insertLine(file: string, after: number, text: string): Buffer {
  const lines = readFileSync(file, 'latin1').split('\n');
  lines.splice(after, 0, text);
  return Buffer.from(lines.join('\n'), 'latin1');
}

/** The lines a firmware receives for a G-code text: `;` comments and blanks stripped, empty lines dropped. */
export function wireLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/;.*$/, '').trim())
    .filter((l) => l !== '');
}

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
