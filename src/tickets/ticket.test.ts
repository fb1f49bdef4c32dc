import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactRange } from '../ledger/core/compact-range.js';
import { hashLeaf } from '../ledger/core/hash.js';
import { Ed25519NoteSigner, formatVerifierKey, parseVerifierKey } from '../ledger/core/keys.js';
import { SIGNATURE_TYPE } from '../ledger/core/key-id.js';
import { formatCheckpoint } from '../ledger/core/checkpoint.js';
import { leafForRecord } from '../ledger/core/leaf.js';
import { signNote } from '../ledger/core/note.js';
import { MemoryHashStore } from '../ledger/core/hash-store.js';
import { inclusionProof } from '../ledger/core/proof.js';
import { formatReceipt } from '../ledger/core/receipt.js';
import { signRevocationList, verifyRevocationList } from './revocations.js';
import { signPrintTicket, ticketRecord, verifyPrintTicket, type PrintTicketClaims } from './ticket.js';
import { GENESIS_HASH, signUsageRecord, usageRecordHash, verifyUsageRecord, type UsageRecord } from './usage-record.js';

const issuerPair = generateKeyPairSync('ed25519');
const issuer = { kid: 'fabgate-demo-2026', privateKey: issuerPair.privateKey };
const trusted = [{ kid: issuer.kid, publicKey: issuerPair.publicKey }];
const fp = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const device = { id: 'dev_host1', content_key_sha256: fp(), signing_key_sha256: fp() };
const manifest = fp();
const T0 = Date.parse('2026-06-01T12:00:00Z') / 1000;

function claims(overrides: Partial<PrintTicketClaims> = {}): PrintTicketClaims {
  return {
    v: 1,
    jti: 'tkt_0001',
    iss: 'fabgate.example',
    iat: T0,
    nbf: T0,
    exp: T0 + 86400,
    licence: { id: 'lic_1', reference: 'DE-2026-0001' },
    design: { manifest_sha256: manifest, name: 'bracket' },
    devices: [device],
    prints: 2,
    envelope: { nozzle_temp_c: { max: 260 }, build_volume_mm: { x: [0, 250], y: [0, 210], z: [0, 210] } },
    nonce: randomBytes(16).toString('base64url'),
    ...overrides,
  };
}
const opts = (extra = {}) => ({ issuers: trusted, deviceContentKeySha256: device.content_key_sha256, now: new Date((T0 + 60) * 1000), designManifestSha256: manifest, ...extra });

describe('print tickets', () => {
  it('verify offline for the bound device and design within the window', () => {
    const v = verifyPrintTicket(signPrintTicket(claims(), issuer), opts());
    expect(v.claims.prints).toBe(2);
    expect(v.kid).toBe(issuer.kid);
  });

  it('refuse every kind of invalid ticket with its own code', () => {
    const good = signPrintTicket(claims(), issuer);
    const [h, p, s] = good.split('.') as [string, string, string];
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims(), prints: 1000 })).toString('base64url');
    const otherIssuer = { kid: issuer.kid, privateKey: generateKeyPairSync('ed25519').privateKey };
    const cases: Array<[string, () => unknown]> = [
      ['TICKET_SIGNATURE_INVALID', () => verifyPrintTicket(`${h}.${forgedPayload}.${s}`, opts())],
      ['TICKET_SIGNATURE_INVALID', () => verifyPrintTicket(signPrintTicket(claims(), otherIssuer), opts())],
      ['TICKET_ISSUER_UNKNOWN', () => verifyPrintTicket(signPrintTicket(claims(), { ...issuer, kid: 'someone-else' }), opts())],
      ['TICKET_MALFORMED', () => verifyPrintTicket(`${Buffer.from('{"alg":"none","typ":"fabgate-print-ticket+jws","kid":"x"}').toString('base64url')}.${p}.`, opts())],
      ['TICKET_MALFORMED', () => verifyPrintTicket('not.a.ticket', opts())],
      ['TICKET_MALFORMED', () => verifyPrintTicket(`${h}.${p}.${s}=`, opts())],
      ['TICKET_TOO_LARGE', () => verifyPrintTicket('a'.repeat(70_000), opts())],
      ['TICKET_EXPIRED', () => verifyPrintTicket(good, opts({ now: new Date((T0 + 86400 + 301) * 1000) }))],
      ['TICKET_NOT_YET_VALID', () => verifyPrintTicket(good, opts({ now: new Date((T0 - 301) * 1000) }))],
      ['TICKET_WRONG_DEVICE', () => verifyPrintTicket(good, opts({ deviceContentKeySha256: fp() }))],
      ['TICKET_REVOKED', () => verifyPrintTicket(good, opts({ revoked: new Set(['tkt_0001']) }))],
      ['TICKET_DESIGN_MISMATCH', () => verifyPrintTicket(good, opts({ designManifestSha256: fp() }))],
    ];
    for (const [code, run] of cases) expect(run, code).toThrow(expect.objectContaining({ code }));
  });

  it('accepts the clock tolerance at both ends of the window, and not a second more', () => {
    const t = signPrintTicket(claims(), issuer);
    expect(() => verifyPrintTicket(t, opts({ now: new Date((T0 - 300) * 1000) }))).not.toThrow();
    expect(() => verifyPrintTicket(t, opts({ now: new Date((T0 + 86400 + 300) * 1000) }))).not.toThrow();
  });

  it('round-trips any valid claims, and any flipped signature byte fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), (prints, at, xor) => {
        const t = signPrintTicket(claims({ prints }), issuer);
        expect(verifyPrintTicket(t, opts()).claims.prints).toBe(prints);
        const [h, p, s] = t.split('.') as [string, string, string];
        const sig = Buffer.from(s, 'base64url');
        sig[at] = sig[at]! ^ xor;
        expect(() => verifyPrintTicket(`${h}.${p}.${sig.toString('base64url')}`, opts())).toThrow(expect.objectContaining({ code: 'TICKET_SIGNATURE_INVALID' }));
      }),
      { numRuns: 50 },
    );
  });

  it('checks the log receipt: the leaf must commit to this very ticket', () => {
    const logSigner = new Ed25519NoteSigner('fabgate.test/log', randomBytes(32));
    const vkey = formatVerifierKey({ name: logSigner.name, keyId: logSigner.keyId, type: SIGNATURE_TYPE.ed25519, publicKey: logSigner.publicKey });
    const jws = signPrintTicket(claims(), issuer);
    const other = signPrintTicket(claims(), issuer);
    const salt = randomBytes(32);
    const leaves = [
      leafForRecord({ eventType: 'case.decided', time: new Date(), recordType: 'decision', recordId: 'dec_1', record: { a: 1 }, salt: randomBytes(32) }),
      leafForRecord({ eventType: 'ticket.issued', time: new Date(), recordType: 'print_ticket', recordId: 'tkt_0001', record: ticketRecord(jws), salt }),
    ];
    const store = new MemoryHashStore();
    const range = CompactRange.empty();
    for (const l of leaves) {
      store.appendLeafHash(l.leafHash);
      range.append(hashLeaf(l.leaf));
    }
    const checkpoint = signNote(formatCheckpoint({ origin: 'fabgate.test/log', size: 2n, rootHash: range.root(), extensions: [] }), [logSigner]);
    const receipt = formatReceipt({ extra: leaves[1]!.leaf, index: 1n, proof: inclusionProof(store, 1n, 2n), checkpoint });
    const policy = { logKeys: [parseVerifierKey(vkey)], origin: 'fabgate.test/log' };
    expect(verifyPrintTicket(jws, opts({ log: { proof: { receipt, salt: salt.toString('hex') }, policy } })).logIndex).toBe(1n);
    // the same receipt does not prove another ticket with the same id
    expect(() => verifyPrintTicket(other, opts({ log: { proof: { receipt, salt: salt.toString('hex') }, policy } }))).toThrow(expect.objectContaining({ code: 'TICKET_RECEIPT_INVALID' }));
    expect(() => verifyPrintTicket(jws, opts({ log: { proof: { receipt, salt: randomBytes(32).toString('hex') }, policy } }))).toThrow(expect.objectContaining({ code: 'TICKET_RECEIPT_INVALID' }));
  });
});

describe('revocation lists', () => {
  const list = (serial: number, jtis: string[]) =>
    signRevocationList({ v: 1, iss: 'fabgate.example', serial, iat: T0, next_update: T0 + 3600, revoked: jtis.map((jti) => ({ jti, at: T0 })) }, issuer);

  it('verify, and refuse an older list than the one held (no un-revoking by replay)', () => {
    expect(verifyRevocationList(list(3, ['tkt_0001']), trusted).revoked.map((r) => r.jti)).toEqual(['tkt_0001']);
    expect(() => verifyRevocationList(list(2, []), trusted, 3)).toThrow(expect.objectContaining({ code: 'TICKET_REVOCATIONS_INVALID' }));
    const stranger = signRevocationList({ v: 1, iss: 'x', serial: 9, iat: T0, next_update: T0, revoked: [] }, { kid: issuer.kid, privateKey: generateKeyPairSync('ed25519').privateKey });
    expect(() => verifyRevocationList(stranger, trusted)).toThrow(expect.objectContaining({ code: 'TICKET_REVOCATIONS_INVALID' }));
    // a ticket is not a revocation list, even though both are signed by the issuer
    expect(() => verifyRevocationList(signPrintTicket(claims(), issuer), trusted)).toThrow(expect.objectContaining({ code: 'TICKET_REVOCATIONS_INVALID' }));
  });
});

describe('usage records', () => {
  const deviceKey = generateKeyPairSync('ed25519');
  const record = (seq: number, prev: string, counter = seq): UsageRecord => ({
    v: 1,
    device: 'dev_host1',
    seq,
    prev,
    ticket: 'tkt_0001',
    design: manifest,
    counter,
    started_at: '2026-06-01T12:00:00.000Z',
    ended_at: '2026-06-01T14:00:00.000Z',
    outcome: 'completed',
    violations: [],
  });

  it('chain: each verifies after its predecessor; gaps, replays, forks and forgeries are refused', () => {
    const r1 = signUsageRecord(record(1, GENESIS_HASH), deviceKey.privateKey);
    const a1 = verifyUsageRecord(r1, deviceKey.publicKey, null);
    expect(a1.hash).toBe(usageRecordHash(r1.record));
    const r2 = signUsageRecord(record(2, a1.hash), deviceKey.privateKey);
    const a2 = verifyUsageRecord(r2, deviceKey.publicKey, { seq: 1, hash: a1.hash });
    const last = { seq: 2, hash: a2.hash };
    expect(() => verifyUsageRecord(r2, deviceKey.publicKey, last)).toThrow(expect.objectContaining({ code: 'USAGE_RECORD_REPLAYED' }));
    expect(() => verifyUsageRecord(signUsageRecord(record(4, a2.hash), deviceKey.privateKey), deviceKey.publicKey, last)).toThrow(expect.objectContaining({ code: 'USAGE_RECORD_GAP' }));
    expect(() => verifyUsageRecord(signUsageRecord(record(3, a1.hash), deviceKey.privateKey), deviceKey.publicKey, last)).toThrow(expect.objectContaining({ code: 'USAGE_RECORD_INVALID' }));
    const forged = { record: { ...record(3, a2.hash), outcome: 'completed' as const }, signature: signUsageRecord(record(3, a2.hash, 1), deviceKey.privateKey).signature };
    expect(() => verifyUsageRecord(forged, deviceKey.publicKey, last)).toThrow(expect.objectContaining({ code: 'USAGE_RECORD_INVALID' }));
    expect(() => verifyUsageRecord({ record: { ...record(3, a2.hash), lat: 52.1 }, signature: 'x' }, deviceKey.publicKey, last)).toThrow(expect.objectContaining({ code: 'USAGE_RECORD_INVALID' }));
  });
});
