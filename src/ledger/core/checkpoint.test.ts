import { describe, expect, it } from 'vitest';
import { formatCheckpoint, openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { CosignatureV1Signer, CosignatureV1Verifier, cosignatureMessage, parseTimestampedSignature } from './cosignature.js';
import { Ed25519NoteVerifier, formatVerifierKey, generateNoteKey, parseSignerKey, parseVerifierKey } from './keys.js';
import { SIGNATURE_TYPE } from './key-id.js';
import { parseNote, signNote } from './note.js';
import { hashLeaf } from './hash.js';
import { encodeBase64 } from './bytes.js';
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

const c2sp = readTlogJson<{
  checkpoint: { input: string; expected: { origin: string; size: number; rootHashBase64: string; extensionLines: string[]; signatureCount: number } };
  cosignedCheckpoint: { input: string; expected: { signatureCount: number; cosignatureSignedMessageForTimestamp1679315147: string } };
}>('c2sp', 'spec-examples.json');

describe('tlog-checkpoint bodies', () => {
  it('parses the C2SP example', () => {
    const note = parseNote(c2sp.checkpoint.input);
    expect(note.signatures).toHaveLength(c2sp.checkpoint.expected.signatureCount);
    const cp = parseCheckpoint(note.text);
    expect(cp.origin).toBe(c2sp.checkpoint.expected.origin);
    expect(cp.size).toBe(BigInt(c2sp.checkpoint.expected.size));
    expect(encodeBase64(cp.rootHash)).toBe(c2sp.checkpoint.expected.rootHashBase64);
    expect(cp.extensions).toEqual(c2sp.checkpoint.expected.extensionLines);
    expect(formatCheckpoint(cp)).toBe(note.text);
  });

  it('parses the Rekor checkpoint with its extension line', () => {
    const rekor = readTlogJson<{ checkpoint: { input: { checkpoint: string }; expected: { origin: string; size: number; rootHashBase64: string; extensionLines: string[] } } }>(
      'sigstore-js',
      'rekor-v1-vectors.json',
    ).checkpoint;
    const cp = parseCheckpoint(parseNote(rekor.input.checkpoint).text);
    expect(cp.origin).toBe(rekor.expected.origin);
    expect(cp.size).toBe(BigInt(rekor.expected.size));
    expect(encodeBase64(cp.rootHash)).toBe(rekor.expected.rootHashBase64);
    expect(cp.extensions).toEqual(rekor.expected.extensionLines);
  });

  const sumdb = readTlogJson<{ treeNote: Array<{ desc: string; input: { size?: number; recordUtf8?: string; note?: string }; expected: { note?: string; error?: boolean } }> }>(
    'golang-mod-sumdb',
    'tlog-format-vectors.json',
  ).treeNote;

  it.each(sumdb.map((v) => [v.desc, v] as const))('go.sum tree note: %s', (_d, v) => {
    if (v.expected.note !== undefined) {
      const text = formatCheckpoint({
        origin: 'go.sum database tree',
        size: BigInt(v.input.size!),
        rootHash: hashLeaf(new TextEncoder().encode(v.input.recordUtf8!)),
        extensions: [],
      });
      expect(text).toBe(v.expected.note);
      expect(parseCheckpoint(text).size).toBe(BigInt(v.input.size!));
    } else {
      expect(['LEDGER_CHECKPOINT_MALFORMED', 'LEDGER_HASH_SIZE']).toContain(codeOf(() => parseCheckpoint(v.input.note!)));
    }
  });

  it.each([
    ['two lines', 'origin\n5\n'],
    ['an empty origin', '\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'],
    ['a leading zero', 'o\n05\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'],
    ['a signed size', 'o\n+5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n'],
    ['an empty extension line', 'o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n'],
    ['no final newline', 'o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I='],
    ['unpadded base64', 'o\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n'],
  ])('refuses %s', (_what, text) => {
    expect(codeOf(() => parseCheckpoint(text))).toBe('LEDGER_CHECKPOINT_MALFORMED');
  });

  it('refuses a 31-byte root and a size of 2^64', () => {
    expect(codeOf(() => parseCheckpoint(`o\n5\n${encodeBase64(new Uint8Array(31))}\n`))).toBe('LEDGER_HASH_SIZE');
    expect(codeOf(() => parseCheckpoint(`o\n18446744073709551616\n${encodeBase64(new Uint8Array(32))}\n`))).toBe('LEDGER_SIZE_OVERFLOW');
    expect(parseCheckpoint(`o\n18446744073709551615\n${encodeBase64(new Uint8Array(32))}\n`).size).toBe((1n << 64n) - 1n);
  });
});

describe('tlog-cosignature (Ed25519 cosignature/v1)', () => {
  it('the C2SP example cosignature carries its timestamp and signs the documented message', () => {
    const note = parseNote(c2sp.cosignedCheckpoint.input);
    expect(note.signatures).toHaveLength(c2sp.cosignedCheckpoint.expected.signatureCount);
    const { timestamp } = parseTimestampedSignature(note.signatures[1]!.signature);
    expect(timestamp).toBe(1679315147n);
    expect(new TextDecoder().decode(cosignatureMessage(note.textBytes, timestamp))).toBe(
      c2sp.cosignedCheckpoint.expected.cosignatureSignedMessageForTimestamp1679315147,
    );
  });

  const formats = readTlogJson<{
    cosignatureV1Timestamp: Array<{ desc: string; input: string; expected: { unixSeconds?: number; error?: boolean } }>;
    ed25519TestKeyPairs: Array<{ verifierKey: string; signerKey: string }>;
  }>('transparency-dev-formats', 'keys-and-checkpoints.json');

  it.each(formats.cosignatureV1Timestamp.map((v) => [v.desc, v] as const))('%s', (_d, v) => {
    const blob = b64(v.input).subarray(4); // after the key ID
    if (v.expected.error) expect(codeOf(() => parseTimestampedSignature(blob))).toBe('LEDGER_COSIGNATURE_MALFORMED');
    else expect(parseTimestampedSignature(blob).timestamp).toBe(BigInt(v.expected.unixSeconds!));
  });

  const log = parseSignerKey(formats.ed25519TestKeyPairs[0]!.signerKey);
  const logKey = parseVerifierKey(formats.ed25519TestKeyPairs[0]!.verifierKey) as Ed25519NoteVerifier;
  const text = formatCheckpoint({ origin: 'Log', size: 3n, rootHash: hashLeaf(new Uint8Array(0)), extensions: [] });
  const signed = signNote(text, [log]);

  function witness(name: string, at = 1_700_000_000_123) {
    const keys = generateNoteKey(name, SIGNATURE_TYPE.cosignatureV1);
    return { signer: parseSignerKey(keys.signerKey, () => at) as CosignatureV1Signer, verifier: parseVerifierKey(keys.verifierKey) };
  }

  it('a witness cosigns; the checkpoint opens with its timestamp; a quorum is enforced', () => {
    const w1 = witness('witness.example/w1');
    const w2 = witness('witness.example/w2');
    const cosigned = signNote(text, [w1.signer], parseNote(signed).signatures);
    expect(cosigned.startsWith(signed)).toBe(true);
    const cp = openCheckpoint(cosigned, { logKeys: [logKey], origin: 'Log', witnesses: [w1.verifier, w2.verifier], witnessQuorum: 1 });
    expect(cp.cosignatures).toEqual([{ name: 'witness.example/w1', keyId: formatVerifierKey(w1.signer).split('+')[1], timestamp: 1_700_000_000n }]);
    expect(codeOf(() => openCheckpoint(cosigned, { logKeys: [logKey], witnesses: [w1.verifier, w2.verifier], witnessQuorum: 2 }))).toBe(
      'LEDGER_COSIGNATURE_QUORUM',
    );
  });

  it('a cosignature over another timestamp or another checkpoint fails', () => {
    const w1 = witness('witness.example/w1');
    const cosigned = signNote(text, [w1.signer], parseNote(signed).signatures);
    const sig = parseNote(cosigned).signatures[1]!;
    const raw = b64(sig.base64);
    raw[11]! ^= 1; // the last byte of the timestamp
    const forged = cosigned.replace(sig.base64, encodeBase64(raw));
    expect(codeOf(() => openCheckpoint(forged, { logKeys: [logKey], witnesses: [w1.verifier] }))).toBe('LEDGER_SIGNATURE_INVALID');
  });

  it('witness signatures alone do not make a checkpoint of the log', () => {
    const w1 = witness('witness.example/w1');
    const onlyWitness = signNote(text, [w1.signer]);
    expect(codeOf(() => openCheckpoint(onlyWitness, { logKeys: [logKey], witnesses: [w1.verifier] }))).toBe('LEDGER_NOTE_UNVERIFIED');
  });

  it('a cosigner key ID commits to type 0x04: the same key and name as a cosigner is another key', () => {
    const asCosigner = new CosignatureV1Verifier('Log', logKey.publicKey);
    expect(asCosigner.keyId).not.toBe(logKey.keyId);
    expect(codeOf(() => openCheckpoint(signed, { logKeys: [asCosigner] }))).toBe('LEDGER_NOTE_UNVERIFIED');
  });
});
