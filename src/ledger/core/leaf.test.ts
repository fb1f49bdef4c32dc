import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeLeaf, encodeLeaf, leafForRecord, leafTime, newSalt, recordCommitment, verifyCommitment, type LeafEvent } from './leaf.js';
import { canonicalJson } from './canonical-json.js';
import { hashLeaf } from './hash.js';
import { fromHexStrict, toHex, utf8 } from './bytes.js';
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

/** The labelled code blocks of LEAF-FORMAT.md's worked example. */
const doc = readFileSync(fileURLToPath(new URL('../LEAF-FORMAT.md', import.meta.url)), 'utf8');
function block(label: string): string {
  const m = new RegExp('```\\w+ ' + label + '\\n([\\s\\S]*?)```').exec(doc);
  if (m === null) throw new Error(`LEAF-FORMAT.md has no block ${label}`);
  return m[1]!;
}

describe('LEAF-FORMAT.md worked example', () => {
  const record = JSON.parse(block('example-record')) as Record<string, unknown>;
  const salt = fromHexStrict(block('example-salt').trim())!;

  it('recomputes canonical JSON, commitment, leaf and leaf hash exactly as documented', () => {
    expect(canonicalJson(record) + '\n').toBe(block('example-canonical'));
    expect(toHex(recordCommitment(record, salt))).toBe(block('example-commitment').trim());
    const { leaf, leafHash } = leafForRecord({
      eventType: 'licence.issued',
      time: new Date('2025-03-14T09:26:53.589Z'),
      recordType: 'licence',
      recordId: record.id as string,
      record,
      salt,
    });
    expect(new TextDecoder().decode(leaf)).toBe(block('example-leaf'));
    expect(toHex(leafHash)).toBe(block('example-leaf-hash').trim());
    expect(toHex(hashLeaf(utf8(block('example-leaf'))))).toBe(block('example-leaf-hash').trim());
  });

  it('opens the commitment with the record and salt, and nothing else', () => {
    const event = decodeLeaf(utf8(block('example-leaf')));
    expect(codeOf(() => verifyCommitment(event, record, salt))).toBe('ok');
    expect(codeOf(() => verifyCommitment(event, { ...record, quantity: 3 }, salt))).toBe('LEDGER_COMMITMENT_MISMATCH');
    const otherSalt = salt.slice();
    otherSalt[0]! ^= 1;
    expect(codeOf(() => verifyCommitment(event, record, otherSalt))).toBe('LEDGER_COMMITMENT_MISMATCH');
    // Member order does not matter; the commitment is over canonical JSON.
    const reordered = Object.fromEntries(Object.entries(record).reverse());
    expect(codeOf(() => verifyCommitment(event, reordered, salt))).toBe('ok');
  });
});

const event: LeafEvent = {
  eventType: 'list_version.activated',
  time: '2025-01-01T00:00:00.000Z',
  recordType: 'list_version',
  recordId: 'ofac-sdn:2025-01-01',
  commitment: new Uint8Array(32).fill(0xab),
};

describe('strict encoding', () => {
  it('round-trips', () => {
    expect(decodeLeaf(encodeLeaf(event))).toEqual(event);
  });

  it.each([
    ['an upper-case event type', { eventType: 'Licence.issued' }],
    ['an event type with a space', { eventType: 'licence issued' }],
    ['a trailing separator', { eventType: 'licence.' }],
    ['a 65-character event type', { eventType: 'a'.repeat(65) }],
    ['a record id with a space', { recordId: 'a b' }],
    ['a record id with a newline', { recordId: 'a\nb' }],
    ['a record id starting with a dash', { recordId: '-x' }],
    ['a 129-character record id', { recordId: 'x'.repeat(129) }],
    ['a time without milliseconds', { time: '2025-01-01T00:00:00Z' }],
    ['a time with an offset', { time: '2025-01-01T00:00:00.000+01:00' }],
    ['an impossible date', { time: '2025-02-30T00:00:00.000Z' }],
    ['a short commitment', { commitment: new Uint8Array(31) }],
  ])('refuses %s', (_what, change) => {
    expect(codeOf(() => encodeLeaf({ ...event, ...change } as LeafEvent))).toBe('LEDGER_LEAF_MALFORMED');
  });

  it.each([
    ['upper-case hex', (t: string) => t.replace(/commitment ([0-9a-f]+)/, (_m, h: string) => `commitment ${h.toUpperCase()}`)],
    ['a missing final newline', (t: string) => t.slice(0, -1)],
    ['a carriage return', (t: string) => t.replace('\n', '\r\n')],
    ['another version', (t: string) => t.replace('v1', 'v2')],
    ['an extra line', (t: string) => t + 'extra\n'],
    ['a double space', (t: string) => t.replace('record ', 'record  ')],
  ])('decoding refuses %s', (_what, mutate) => {
    const text = new TextDecoder().decode(encodeLeaf(event));
    expect(codeOf(() => decodeLeaf(utf8(mutate(text))))).toBe('LEDGER_LEAF_MALFORMED');
  });

  it('normalises a Date and refuses dates outside years 0000..9999', () => {
    expect(leafTime(new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 7)))).toBe('2024-02-29T23:59:59.007Z');
    expect(codeOf(() => leafTime(new Date(Date.UTC(10000, 0, 1))))).toBe('LEDGER_LEAF_MALFORMED');
    expect(codeOf(() => leafTime(new Date(NaN)))).toBe('LEDGER_LEAF_MALFORMED');
  });

  it('needs a 32-byte salt; fresh salts differ', () => {
    expect(codeOf(() => recordCommitment({}, new Uint8Array(16)))).toBe('LEDGER_LEAF_MALFORMED');
    expect(toHex(newSalt())).not.toBe(toHex(newSalt()));
  });

  it('decoding random bytes never crashes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const code = codeOf(() => decodeLeaf(bytes));
        expect(code === 'ok' || code === 'LEDGER_LEAF_MALFORMED').toBe(true);
      }),
    );
  });
});
