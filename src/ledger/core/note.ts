/**
 * c2sp.org/signed-note: text signed by one or more keys.
 *
 *   <text ending in a newline>
 *   <blank line>
 *   — <key name> <base64(4-byte key ID || signature)>
 *   ...
 *
 * The text is separated from the signatures by the *last* blank line. A note's
 * text MUST be ignored unless a signature from a trusted key verifies, so
 * `openNote` returns text only together with at least one verified signature.
 * Parsing works on bytes: the signed text is exactly the bytes before the blank
 * line, never a re-encoding of a decoded string.
 */
import {
  bytesEqual,
  concatBytes,
  decodeBase64Strict,
  decodeUint32,
  decodeUtf8Strict,
  encodeBase64,
  encodeUint32,
  isWellFormedString,
  utf8,
} from './bytes.js';
import { LedgerError } from './errors.js';
import { isValidKeyName, keyIdHex, type NoteSigner, type NoteVerifier } from './key-id.js';

/** One signature line. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes after the 4-byte key ID. */
  readonly signature: Uint8Array;
  /** The base64 on the line (key ID and signature), as written. */
  readonly base64: string;
}

export interface ParsedNote {
  /** The note text, including its final newline. */
  readonly text: string;
  /** The exact bytes the signatures cover. */
  readonly textBytes: Uint8Array;
  readonly signatures: readonly NoteSignature[];
}

export interface OpenedNote extends ParsedNote {
  /** Signatures from known keys, each verified (one per key; repeats dropped). */
  readonly verified: ReadonlyArray<NoteSignature & { readonly verifier: NoteVerifier }>;
  /** Signatures from keys not in the verifier set, ignored as the spec requires. */
  readonly unverified: readonly NoteSignature[];
}

/**
 * Verifiers "SHOULD apply a maximum limit to the number of signatures ... but
 * MUST accept at least up to 16". Go's sumdb/note stops at 100; post-quantum
 * signatures approach 5 kB, so 1 MiB leaves room for 100 of them.
 */
export interface NoteLimits {
  readonly maxBytes: number;
  readonly maxSignatures: number;
}
export const DEFAULT_NOTE_LIMITS: NoteLimits = { maxBytes: 1 << 20, maxSignatures: 100 };

const NEWLINE = 0x0a;
/** "— ": em dash (U+2014) and a space. */
const SIGNATURE_PREFIX = utf8('\u2014 ');

function malformed(message: string, details?: unknown): LedgerError {
  return new LedgerError('LEDGER_NOTE_MALFORMED', message, details);
}

function toBytes(note: Uint8Array | string): Uint8Array {
  if (typeof note !== 'string') return note;
  if (!isWellFormedString(note)) throw malformed('a note must be valid UTF-8');
  return utf8(note);
}

/** "MUST be valid UTF-8 and MUST NOT contain any ASCII control characters ... other than newline." */
function assertNoteCharacters(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x20 && b !== NEWLINE) throw malformed(`control character 0x${b.toString(16).padStart(2, '0')} at byte ${i}`);
  }
  if (decodeUtf8Strict(bytes) === undefined) throw malformed('a note must be valid UTF-8');
}

function lastBlankLine(bytes: Uint8Array): number {
  for (let i = bytes.length - 2; i >= 0; i--) {
    if (bytes[i] === NEWLINE && bytes[i + 1] === NEWLINE) return i;
  }
  return -1;
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  return bytes.length >= prefix.length && bytesEqual(bytes.subarray(0, prefix.length), prefix);
}

/** Split a note into text and signature lines, checking the format but verifying nothing. */
export function parseNote(note: Uint8Array | string, limits: NoteLimits = DEFAULT_NOTE_LIMITS): ParsedNote {
  const bytes = toBytes(note);
  if (bytes.length > limits.maxBytes) {
    throw new LedgerError('LEDGER_NOTE_TOO_LARGE', `note is ${bytes.length} bytes, the limit is ${limits.maxBytes}`);
  }
  assertNoteCharacters(bytes);
  const split = lastBlankLine(bytes);
  if (split < 0) throw malformed('a note needs a blank line before its signatures');
  const textBytes = bytes.subarray(0, split + 1);
  const block = bytes.subarray(split + 2);
  if (block.length === 0 || block[block.length - 1] !== NEWLINE) {
    throw malformed('a note needs at least one signature line, ending in a newline');
  }

  const signatures: NoteSignature[] = [];
  let start = 0;
  while (start < block.length) {
    const end = block.indexOf(NEWLINE, start);
    const line = block.subarray(start, end);
    start = end + 1;
    if (signatures.length === limits.maxSignatures) {
      throw new LedgerError('LEDGER_NOTE_TOO_LARGE', `a note may carry at most ${limits.maxSignatures} signatures`);
    }
    if (!startsWith(line, SIGNATURE_PREFIX)) throw malformed('a signature line starts with "— "', { line: signatures.length });
    const rest = decodeUtf8Strict(line.subarray(SIGNATURE_PREFIX.length))!;
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const base64 = space < 0 ? '' : rest.slice(space + 1);
    const raw = decodeBase64Strict(base64);
    if (!isValidKeyName(name) || raw === undefined || raw.length < 5) {
      throw malformed('a signature line is "— <key name> <base64 of key ID and signature>"', { line: signatures.length });
    }
    signatures.push({ name, keyId: decodeUint32(raw), signature: raw.subarray(4), base64 });
  }
  return { text: decodeUtf8Strict(textBytes)!, textBytes, signatures };
}

/** Index verifiers by (name, key ID): the tuple that identifies a key. */
function verifierIndex(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const index = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const id = `${v.name}\n${v.keyId}`;
    const existing = index.get(id);
    if (existing !== undefined && existing !== v) {
      throw new LedgerError('LEDGER_KEY_MALFORMED', `two verifier keys share the name and key ID ${v.name}+${keyIdHex(v.keyId)}`);
    }
    index.set(id, v);
  }
  return index;
}

/**
 * Parse a note and verify its signatures against `verifiers` (c2sp.org/signed-note
 * "Signatures"): unknown keys are ignored, even when they share a name or a key
 * ID (but not both) with a known key; a known key whose signature fails rejects
 * the whole note (LEDGER_SIGNATURE_INVALID); a note with no verified signature
 * is rejected (LEDGER_NOTE_UNVERIFIED).
 */
export function openNote(note: Uint8Array | string, verifiers: readonly NoteVerifier[], limits?: NoteLimits): OpenedNote {
  const parsed = parseNote(note, limits);
  const known = verifierIndex(verifiers);
  const verified: Array<NoteSignature & { verifier: NoteVerifier }> = [];
  const unverified: NoteSignature[] = [];
  const seen = new Set<string>();
  for (const sig of parsed.signatures) {
    const id = `${sig.name}\n${sig.keyId}`;
    const verifier = known.get(id);
    if (verifier === undefined) {
      if (!seen.has(`${id}\n${sig.base64}`)) unverified.push(sig);
      seen.add(`${id}\n${sig.base64}`);
      continue;
    }
    if (!verifier.verify(parsed.textBytes, sig.signature)) {
      throw new LedgerError('LEDGER_SIGNATURE_INVALID', `invalid signature for key ${sig.name}+${keyIdHex(sig.keyId)}`, {
        key: `${sig.name}+${keyIdHex(sig.keyId)}`,
      });
    }
    if (!seen.has(id)) verified.push({ ...sig, verifier });
    seen.add(id);
  }
  if (verified.length === 0) {
    throw new LedgerError('LEDGER_NOTE_UNVERIFIED', 'the note has no signature from a known key', {
      signers: parsed.signatures.map((s) => `${s.name}+${keyIdHex(s.keyId)}`),
    });
  }
  return { ...parsed, verified, unverified };
}

function signatureLine(name: string, base64: string): string {
  return `\u2014 ${name} ${base64}\n`;
}

/**
 * Sign `text` (which must end in a newline) with each signer. Signatures in
 * `keep` (say, those of an opened note being cosigned) are written first,
 * except where a signer replaces its own earlier signature.
 */
export function signNote(text: string, signers: readonly NoteSigner[], keep: readonly NoteSignature[] = []): string {
  const textBytes = toBytes(text);
  assertNoteCharacters(textBytes);
  if (textBytes.length === 0 || textBytes[textBytes.length - 1] !== NEWLINE) throw malformed('note text must end in a newline');
  const signing = new Set(signers.map((s) => `${s.name}\n${s.keyId}`));
  let out = `${text}\n`;
  for (const sig of keep) {
    if (!signing.has(`${sig.name}\n${sig.keyId}`)) out += signatureLine(sig.name, sig.base64);
  }
  for (const signer of signers) {
    if (!isValidKeyName(signer.name)) throw malformed('a key name must be non-empty, without spaces or "+"');
    out += signatureLine(signer.name, encodeBase64(concatBytes(encodeUint32(signer.keyId), signer.sign(textBytes))));
  }
  return out;
}
