import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { formatReceipt, parseReceipt, verifyReceipt } from './receipt.js';
import { formatCheckpoint } from './checkpoint.js';
import { generateNoteKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { SIGNATURE_TYPE } from './key-id.js';
import { signNote, parseNote } from './note.js';
import { MemoryHashStore } from './hash-store.js';
import { inclusionProof, rootAt } from './proof.js';
import { encodeLeaf, decodeLeaf } from './leaf.js';
import { hashLeaf } from './hash.js';
import { encodeBase64 } from './bytes.js';
import { isFabgateError } from '../../shared/errors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

const ORIGIN = 'fabgate.example/log';
const keys = generateNoteKey(ORIGIN);
const signer = parseSignerKey(keys.signerKey);
const policy = { logKeys: [parseVerifierKey(keys.verifierKey)], origin: ORIGIN };

const entries = Array.from({ length: 21 }, (_, i) =>
  encodeLeaf({
    eventType: 'ticket.issued',
    time: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
    recordType: 'ticket',
    recordId: `tkt_${i}`,
    commitment: new Uint8Array(32).fill(i),
  }),
);
const store = new MemoryHashStore();
for (const e of entries) store.appendLeafHash(hashLeaf(e));
const size = 21n;
const checkpoint = signNote(formatCheckpoint({ origin: ORIGIN, size, rootHash: rootAt(store, size), extensions: [] }), [signer]);
const receiptFor = (i: number) => formatReceipt({ extra: entries[i]!, index: BigInt(i), proof: inclusionProof(store, BigInt(i), size), checkpoint });

describe('c2sp.org/tlog-proof@v1 receipts', () => {
  it('the spec example parses (its elided signatures are not verified here)', () => {
    const example = [
      'c2sp.org/tlog-proof@v1',
      'extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ',
      'index 73894',
      'gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=',
      'B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=',
      'EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=',
      'RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=',
      'AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=',
      '',
      'example.com/fancylog',
      '109482',
      'sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=',
      '',
      '— example.com/fancylog hI2DJw[...]1roloI=',
      '',
    ].join('\n');
    const r = parseReceipt(example);
    expect(r.index).toBe(73894n);
    expect(r.proof).toHaveLength(5);
    expect(new TextDecoder().decode(r.extra)).toMatch(/^age-v1\.2\.1-darwin-arm64\.tar\.gz/);
    expect(r.checkpoint.startsWith('example.com/fancylog\n109482\n')).toBe(true);
  });

  it('every entry of a 21-entry log has a receipt that verifies offline and shows the entry', () => {
    for (let i = 0; i < entries.length; i++) {
      const verified = verifyReceipt(receiptFor(i), policy);
      expect(verified.index).toBe(BigInt(i));
      expect(decodeLeaf(verified.entry).recordId).toBe(`tkt_${i}`);
      expect(verified.checkpoint.size).toBe(size);
    }
  });

  it('round-trips through parse and format', () => {
    const text = receiptFor(5);
    expect(formatReceipt(parseReceipt(text))).toBe(text);
  });

  it('a receipt without extra needs the entry from the caller', () => {
    const bare = formatReceipt({ index: 3n, proof: inclusionProof(store, 3n, size), checkpoint });
    expect(codeOf(() => verifyReceipt(bare, policy))).toBe('LEDGER_RECEIPT_NO_ENTRY');
    expect(codeOf(() => verifyReceipt(bare, policy, entries[3]))).toBe('ok');
    expect(codeOf(() => verifyReceipt(bare, policy, entries[4]))).toBe('LEDGER_ROOT_MISMATCH');
  });

  it('detects another entry, another index, a wrong key, another origin and a forged checkpoint', () => {
    const text = receiptFor(7);
    const swapped = text.replace(`extra ${encodeBase64(entries[7]!)}`, `extra ${encodeBase64(entries[8]!)}`);
    expect(codeOf(() => verifyReceipt(swapped, policy))).toBe('LEDGER_ROOT_MISMATCH');
    expect(codeOf(() => verifyReceipt(text.replace('index 7\n', 'index 6\n'), policy))).toBe('LEDGER_ROOT_MISMATCH');
    expect(codeOf(() => verifyReceipt(text.replace('index 7\n', 'index 21\n'), policy))).toBe('LEDGER_INDEX_OUT_OF_RANGE');
    const stranger = { logKeys: [parseVerifierKey(generateNoteKey(ORIGIN).verifierKey)] };
    expect(codeOf(() => verifyReceipt(text, stranger))).toBe('LEDGER_NOTE_UNVERIFIED');
    expect(codeOf(() => verifyReceipt(text, { ...policy, origin: 'other.example/log' }))).toBe('LEDGER_ORIGIN_MISMATCH');
    expect(codeOf(() => verifyReceipt(text.replace('\n21\n', '\n22\n'), policy))).toBe('LEDGER_SIGNATURE_INVALID');
  });

  it('counts witness cosignatures when the policy asks for them', () => {
    const w = generateNoteKey('witness.example/w1', SIGNATURE_TYPE.cosignatureV1);
    const note = parseNote(checkpoint);
    const cosigned = signNote(note.text, [parseSignerKey(w.signerKey)], note.signatures);
    const text = formatReceipt({ extra: entries[2]!, index: 2n, proof: inclusionProof(store, 2n, size), checkpoint: cosigned });
    const witnesses = [parseVerifierKey(w.verifierKey)];
    expect(verifyReceipt(text, { ...policy, witnesses, witnessQuorum: 1 }).checkpoint.cosignatures).toHaveLength(1);
    expect(codeOf(() => verifyReceipt(receiptFor(2), { ...policy, witnesses, witnessQuorum: 1 }))).toBe('LEDGER_COSIGNATURE_QUORUM');
  });

  it.each([
    ['another header', (t: string) => t.replace('tlog-proof@v1', 'tlog-proof@v2')],
    ['no empty line', (t: string) => t.replace('\n\n', '\n')],
    ['a leading zero index', (t: string) => t.replace('index 7', 'index 07')],
    ['a negative index', (t: string) => t.replace('index 7', 'index -7')],
    ['a missing index', (t: string) => t.replace(/index 7\n/, '')],
    ['bad base64 in the proof', (t: string) => t.replace(/\nindex 7\n(.)/, '\nindex 7\n!')],
    ['empty extra', (t: string) => t.replace(/extra \S+/, 'extra ')],
  ])('refuses %s as malformed', (_what, mutate) => {
    expect(codeOf(() => verifyReceipt(mutate(receiptFor(7)), policy))).toBe('LEDGER_RECEIPT_MALFORMED');
  });

  it('refuses a proof hash of 31 bytes, and a truncated proof', () => {
    const r = parseReceipt(receiptFor(7));
    const short = receiptFor(7).replace(encodeBase64(r.proof[0]!), encodeBase64(r.proof[0]!.subarray(0, 31)));
    expect(codeOf(() => verifyReceipt(short, policy))).toBe('LEDGER_HASH_SIZE');
    const truncated = receiptFor(7).replace(encodeBase64(r.proof[0]!) + '\n', '');
    expect(codeOf(() => verifyReceipt(truncated, policy))).toBe('LEDGER_PROOF_LENGTH');
  });

  it('any single changed byte makes a receipt fail', () => {
    const text = receiptFor(11);
    const bytes = new TextEncoder().encode(text);
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const changed = bytes.slice();
        changed[at]! ^= xor;
        const code = codeOf(() => verifyReceipt(changed, policy));
        expect(code).not.toBe('ok');
      }),
      { numRuns: 300 },
    );
  });
});
