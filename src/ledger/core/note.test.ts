import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openNote, parseNote, signNote } from './note.js';
import { formatVerifierKey, generateNoteKey, parseSignerKey, parseVerifierKey, EcdsaNoteVerifier, Ed25519NoteSigner, Rfc6962NoteVerifier } from './keys.js';
import { encodeBase64, encodeUint32, encodeUint64 } from './bytes.js';
import { SIGNATURE_TYPE } from './key-id.js';
import { isFabgateError } from '../../shared/errors.js';
import { b64, readTlogJson } from './test-support/vectors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

interface GoNoteVectors {
  keys: Record<string, { verifierKey: string; signerKey?: string }>;
  sign: Array<{ desc: string; input: { text: string; signerKey: string }; expected: { signedNote?: string; error?: string } }>;
  open: Array<{
    desc: string;
    input: { note?: string; noteText?: string; signatureLine?: string; repeatSignatureLine?: number; trusted: string[] };
    expected: { text?: string; verified?: string[]; unverified?: string[]; error?: string };
  }>;
  badVerifierKeys: Array<{ input: string; expected: string }>;
}
const go = readTlogJson<GoNoteVectors>('golang-mod-sumdb', 'signed-note-vectors.json');

/** The Go error strings of the vectors, mapped to our codes. */
const GO_ERROR_CODES: Record<string, string[]> = {
  'malformed note': ['LEDGER_NOTE_MALFORMED', 'LEDGER_NOTE_TOO_LARGE'],
  'note has no verifiable signatures': ['LEDGER_NOTE_UNVERIFIED'],
  'invalid signature for key PeterNeumann+c74f20a3': ['LEDGER_SIGNATURE_INVALID'],
};

describe('Go sumdb/note vectors', () => {
  it.each(go.sign.map((v) => [v.desc, v] as const))('sign: %s', (_d, v) => {
    const signer = parseSignerKey(v.input.signerKey);
    if (v.expected.signedNote !== undefined) {
      // Ed25519 is deterministic: re-signing must reproduce the note byte for byte.
      expect(signNote(v.input.text, [signer])).toBe(v.expected.signedNote);
    } else {
      expect(codeOf(() => signNote(v.input.text, [signer]))).toBe('LEDGER_NOTE_MALFORMED');
    }
  });

  it.each(go.open.map((v) => [v.desc, v] as const))('open: %s', (_d, v) => {
    const note = v.input.note ?? v.input.noteText! + '\n' + v.input.signatureLine!.repeat(v.input.repeatSignatureLine!);
    const verifiers = v.input.trusted.map(parseVerifierKey);
    if (v.expected.error !== undefined) {
      expect(GO_ERROR_CODES[v.expected.error]).toContain(codeOf(() => openNote(note, verifiers)));
      return;
    }
    const opened = openNote(note, verifiers);
    expect(opened.text).toBe(v.expected.text);
    expect(opened.verified.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, '0')}`)).toEqual(v.expected.verified);
    expect(opened.unverified.map((s) => `${s.name}+${s.keyId.toString(16).padStart(8, '0')}`)).toEqual(v.expected.unverified);
  });

  it('rejects a leading 0xff byte (invalid UTF-8), the case JSON cannot carry', () => {
    const good = new TextEncoder().encode(go.open[0]!.input.note!);
    const bad = new Uint8Array([0xff, ...good]);
    expect(codeOf(() => openNote(bad, [parseVerifierKey(go.keys.PeterNeumann!.verifierKey)]))).toBe('LEDGER_NOTE_MALFORMED');
  });

  it.each(go.badVerifierKeys.map((v) => [v.expected, v.input] as const))('bad verifier key: %s', (_e, vkey) => {
    expect(['LEDGER_KEY_MALFORMED', 'LEDGER_KEY_ALGORITHM']).toContain(codeOf(() => parseVerifierKey(vkey)));
  });

  it('the test signer key derives the published verifier key', () => {
    const signer = parseSignerKey(go.keys.PeterNeumann!.signerKey!);
    expect(formatVerifierKey(signer)).toBe(go.keys.PeterNeumann!.verifierKey);
  });
});

describe('C2SP signed-note example', () => {
  const example = readTlogJson<{ signedNote: { input: { verifierKey: string; note: string }; expected: { text: string } } }>(
    'c2sp',
    'spec-examples.json',
  ).signedNote;

  it('verifies with the example key and yields its text', () => {
    const opened = openNote(example.input.note, [parseVerifierKey(example.input.verifierKey)]);
    expect(opened.text).toBe(example.expected.text);
    expect(opened.verified).toHaveLength(1);
  });

  it('ignores keys that share only the name or only the key ID', () => {
    const real = parseVerifierKey(example.input.verifierKey);
    const sameName = parseVerifierKey(generateNoteKey('example.com/foo').verifierKey);
    expect(sameName.keyId).not.toBe(real.keyId);
    expect(codeOf(() => openNote(example.input.note, [sameName]))).toBe('LEDGER_NOTE_UNVERIFIED');
    // Same key ID, another name: build the line by hand.
    const line = example.input.note.replace('— example.com/foo ', '— example.com/bar ');
    expect(codeOf(() => openNote(line, [real]))).toBe('LEDGER_NOTE_UNVERIFIED');
  });
});

describe('transparency-dev/formats keys', () => {
  const formats = readTlogJson<{
    ed25519TestKeyPairs: Array<{ verifierKey: string; signerKey: string }>;
    ecdsaVerifierKeys: Array<{ verifierKey: string }>;
    rfc6962NoteVerifierKeys: Array<{ input: { origin: string; spkiDerBase64: string }; expected: string }>;
    realCheckpoints: Array<{ input: Record<string, string> }>;
  }>('transparency-dev-formats', 'keys-and-checkpoints.json');

  it.each(formats.ed25519TestKeyPairs.map((k) => [k.verifierKey, k] as const))('%s: signer derives verifier; sign/open round trip', (_v, k) => {
    const signer = parseSignerKey(k.signerKey);
    expect(formatVerifierKey(signer)).toBe(k.verifierKey);
    const note = signNote('hello\n', [signer]);
    expect(openNote(note, [parseVerifierKey(k.verifierKey)]).text).toBe('hello\n');
  });

  it.each(formats.ecdsaVerifierKeys.map((k) => [k.verifierKey] as const))('ECDSA vkey %s parses and its key ID recomputes', (vkey) => {
    const v = parseVerifierKey(vkey);
    expect(v).toBeInstanceOf(EcdsaNoteVerifier);
    expect(formatVerifierKey(v as EcdsaNoteVerifier)).toBe(vkey);
  });

  it.each(formats.rfc6962NoteVerifierKeys.map((k) => [k.expected, k] as const))('RFC 6962 (type 0x05) vkey %s derives from the log SPKI', (_v, k) => {
    const v = new Rfc6962NoteVerifier(k.input.origin, b64(k.input.spkiDerBase64));
    expect(formatVerifierKey(v)).toBe(k.expected);
    expect(parseVerifierKey(k.expected).keyId).toBe(v.keyId);
  });

  it('the real Rome 2024h1 static-CT checkpoint verifies (type 0x05), and not with its size changed', () => {
    const rome = formats.realCheckpoints[0]!.input as { checkpoint: string; verifierKey: string };
    const v = parseVerifierKey(rome.verifierKey);
    expect(openNote(rome.checkpoint, [v]).verified).toHaveLength(1);
    expect(codeOf(() => openNote(rome.checkpoint.replace('115474666', '115474667'), [v]))).toBe('LEDGER_SIGNATURE_INVALID');
  });

  it('the real Argon2024 RFC 6962 STH, written as a checkpoint note, verifies (type 0x05)', () => {
    const sth = JSON.parse((formats.realCheckpoints[1]!.input as { sthJson: string }).sthJson) as {
      tree_size: number;
      timestamp: number;
      sha256_root_hash: string;
      tree_head_signature: string;
    };
    const vkey = formats.rfc6962NoteVerifierKeys[0]!.expected;
    const v = parseVerifierKey(vkey);
    const text = `${v.name}\n${sth.tree_size}\n${sth.sha256_root_hash}\n`;
    const blob = new Uint8Array([...encodeUint32(v.keyId), ...encodeUint64(BigInt(sth.timestamp)), ...b64(sth.tree_head_signature)]);
    const note = `${text}\n\u2014 ${v.name} ${encodeBase64(blob)}\n`;
    expect(openNote(note, [v]).text).toBe(text);
    // The TreeHeadSignature covers neither the origin nor extension lines: both are refused.
    const withExtension = `${text}extra\n\n\u2014 ${v.name} ${encodeBase64(blob)}\n`;
    expect(codeOf(() => openNote(withExtension, [v]))).toBe('LEDGER_SIGNATURE_INVALID');
  });

  it('refuses a key whose declared ID does not match', () => {
    const vkey = formats.ed25519TestKeyPairs[0]!.verifierKey.replace('+2271c621+', '+2271c622+');
    expect(codeOf(() => parseVerifierKey(vkey))).toBe('LEDGER_KEY_ID_MISMATCH');
  });
});

describe('the real Rekor v1 checkpoint (ECDSA P-256, sigstore-js)', () => {
  const rekor = readTlogJson<{ checkpoint: { input: { checkpoint: string; publicKeySpkiDerBase64: string } } }>(
    'sigstore-js',
    'rekor-v1-vectors.json',
  ).checkpoint.input;
  const formats = readTlogJson<{ ecdsaVerifierKeys: Array<{ verifierKey: string }> }>('transparency-dev-formats', 'keys-and-checkpoints.json');

  it('the SPKI re-encodes to the published type-0x02 vkey', () => {
    const v = new EcdsaNoteVerifier('rekor.sigstore.dev', b64(rekor.publicKeySpkiDerBase64));
    expect(formatVerifierKey(v)).toBe(formats.ecdsaVerifierKeys[0]!.verifierKey);
  });

  it('its ECDSA signature verifies, and fails on any change to the text', () => {
    const v = parseVerifierKey(formats.ecdsaVerifierKeys[0]!.verifierKey);
    expect(openNote(rekor.checkpoint, [v]).verified).toHaveLength(1);
    const altered = rekor.checkpoint.replace('21428036', '21428037');
    expect(codeOf(() => openNote(altered, [v]))).toBe('LEDGER_SIGNATURE_INVALID');
  });
});

describe('strictness', () => {
  const signer = parseSignerKey(go.keys.PeterNeumann!.signerKey!);
  const verifier = parseVerifierKey(go.keys.PeterNeumann!.verifierKey);
  const note = signNote('text\n', [signer]);

  it.each([
    ['no blank line', 'text\n— PeterNeumann AAAA\n'],
    ['CR line ending', note.replace('text\n', 'text\r\n')],
    ['tab in the text', note.replace('text', 'te\txt')],
    ['non-canonical base64', note.replace(/=\n$/, '\n')],
    ['a signature shorter than 5 bytes', 'text\n\n— PeterNeumann AAAAAA==\n'],
    ['a hyphen instead of an em dash', note.replace('—', '-')],
    ['a name with a plus', note.replace('PeterNeumann', 'Peter+Neumann')],
    ['a name with a no-break space', note.replace('PeterNeumann', 'Peter\u00a0Neumann')],
    ['two spaces after the dash', note.replace('— ', '—  ')],
  ])('%s is malformed', (_what, text) => {
    expect(codeOf(() => openNote(text, [verifier]))).toBe('LEDGER_NOTE_MALFORMED');
  });

  it('accepts blank lines inside the text: the last blank line separates', () => {
    const n = signNote('a\n\nb\n', [signer]);
    expect(openNote(n, [verifier]).text).toBe('a\n\nb\n');
  });

  it('refuses an Ed25519 seed that is not 32 bytes', () => {
    expect(codeOf(() => new Ed25519NoteSigner('x', new Uint8Array(31)))).toBe('LEDGER_KEY_MALFORMED');
  });

  it('enforces the size limit', () => {
    expect(codeOf(() => parseNote(note, { maxBytes: 10, maxSignatures: 100 }))).toBe('LEDGER_NOTE_TOO_LARGE');
  });

  it('accepts 16 signatures (the spec minimum) and drops repeats of one key', () => {
    const line = note.slice(note.indexOf('—'));
    const sixteen = 'text\n\n' + line.repeat(16);
    const opened = openNote(sixteen, [verifier]);
    expect(opened.verified).toHaveLength(1);
  });

  it('keeps existing signatures when another key signs', () => {
    const other = parseSignerKey(generateNoteKey('witness.example/w1', SIGNATURE_TYPE.ed25519).signerKey);
    const both = signNote('text\n', [other], parseNote(note).signatures);
    expect(both.startsWith(note)).toBe(true);
    expect(openNote(both, [verifier]).unverified.map((s) => s.name)).toEqual(['witness.example/w1']);
  });

  it('never crashes on random input: a note either opens or fails with a ledger code', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 300 }), fc.constant(note)), fc.nat(), (input, cut) => {
        const value = typeof input === 'string' && input === note ? note.slice(0, cut % (note.length + 1)) : input;
        const code = codeOf(() => openNote(value, [verifier]));
        expect(code === 'ok' || code.startsWith('LEDGER_')).toBe(true);
      }),
    );
  });
});
