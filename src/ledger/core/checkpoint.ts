/**
 * c2sp.org/tlog-checkpoint: the signed tree head of a log, as a signed note
 * whose text is
 *
 *   <origin>\n<tree size>\n<base64 root hash>\n[<extension line>\n]...
 *
 * `openCheckpoint` applies a verification policy: at least one signature by a
 * log key, the expected origin, and optionally a quorum of witness
 * cosignatures (c2sp.org/tlog-cosignature).
 */
import { MAX_UINT64, decodeBase64Strict, encodeBase64, parseDecimal } from './bytes.js';
import { parseTimestampedSignature } from './cosignature.js';
import { LedgerError } from './errors.js';
import { HASH_SIZE, assertHash } from './hash.js';
import { SIGNATURE_TYPE, keyIdHex, type NoteVerifier } from './key-id.js';
import { openNote, type NoteLimits, type OpenedNote } from './note.js';
import { assertUint64 } from './tree.js';

export interface Checkpoint {
  /** Unique identity of the log, e.g. "example.com/log42". */
  readonly origin: string;
  readonly size: bigint;
  /** RFC 6962 root hash of the tree of `size` leaves. */
  readonly rootHash: Uint8Array;
  /** Opaque extension lines (NOT RECOMMENDED by the spec; kept as read). */
  readonly extensions: readonly string[];
}

function malformed(message: string): LedgerError {
  return new LedgerError('LEDGER_CHECKPOINT_MALFORMED', message);
}

/** The note text of a checkpoint. */
export function formatCheckpoint(checkpoint: Checkpoint): string {
  const { origin, size, rootHash, extensions } = checkpoint;
  if (origin.length === 0 || origin.includes('\n')) throw malformed('the origin must be one non-empty line');
  assertUint64(size, 'tree size');
  assertHash(rootHash, 'root hash');
  for (const line of extensions) if (line.length === 0 || line.includes('\n')) throw malformed('extension lines must be non-empty single lines');
  return [origin, size.toString(), encodeBase64(rootHash), ...extensions].map((line) => `${line}\n`).join('');
}

/** Parse checkpoint note text (not the signed note: see `openCheckpoint`). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) throw malformed('checkpoint text must end in a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw malformed('a checkpoint has at least three lines: origin, size, root hash');
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw malformed('the origin line must be non-empty');
  const size = parseDecimal(sizeLine);
  if (size === undefined) throw malformed('the tree size must be a decimal with no leading zeroes');
  if (size > MAX_UINT64) throw new LedgerError('LEDGER_SIZE_OVERFLOW', 'the tree size exceeds 2^64-1');
  const rootHash = decodeBase64Strict(rootLine);
  if (rootHash === undefined) throw malformed('the root hash must be standard base64');
  if (rootHash.length !== HASH_SIZE) assertHash(rootHash, 'checkpoint root hash');
  if (extensions.some((line) => line.length === 0)) throw malformed('extension lines must be non-empty');
  return { origin, size, rootHash, extensions };
}

/** How to decide whether a checkpoint is one to trust. */
export interface CheckpointPolicy {
  /** Keys of the log itself; at least one must have signed. */
  readonly logKeys: readonly NoteVerifier[];
  /** Expected origin line; when given, any other origin is refused. */
  readonly origin?: string;
  /** Witness keys (cosignature/v1 or plain note keys) whose cosignatures count. */
  readonly witnesses?: readonly NoteVerifier[];
  /** How many distinct witnesses must have cosigned (default 0). */
  readonly witnessQuorum?: number;
  readonly limits?: NoteLimits;
}

export interface Cosignature {
  readonly name: string;
  readonly keyId: string;
  /** POSIX seconds of a cosignature/v1; undefined for a plain note signature. */
  readonly timestamp?: bigint;
}

export interface VerifiedCheckpoint extends Checkpoint {
  /** The note text the log signed. */
  readonly text: string;
  readonly note: OpenedNote;
  /** The log keys whose signatures verified, as "<name>+<hex key ID>". */
  readonly signedBy: readonly string[];
  /** Witness cosignatures that verified. */
  readonly cosignatures: readonly Cosignature[];
}

/** Open a signed checkpoint under `policy`; throws a LedgerError if it does not hold. */
export function openCheckpoint(note: Uint8Array | string, policy: CheckpointPolicy): VerifiedCheckpoint {
  const witnesses = policy.witnesses ?? [];
  const opened = openNote(note, [...policy.logKeys, ...witnesses], policy.limits);
  // A witness-only note is not a checkpoint of this log: the log must have signed it.
  const signedBy = opened.verified.filter((s) => policy.logKeys.includes(s.verifier)).map((s) => `${s.name}+${keyIdHex(s.keyId)}`);
  if (signedBy.length === 0) {
    throw new LedgerError('LEDGER_NOTE_UNVERIFIED', 'the checkpoint carries no signature by the log key');
  }
  const checkpoint = parseCheckpoint(opened.text);
  if (policy.origin !== undefined && checkpoint.origin !== policy.origin) {
    throw new LedgerError('LEDGER_ORIGIN_MISMATCH', `checkpoint origin "${checkpoint.origin}" is not "${policy.origin}"`, {
      expected: policy.origin,
      got: checkpoint.origin,
    });
  }
  const cosignatures = opened.verified
    .filter((s) => witnesses.includes(s.verifier) && !policy.logKeys.includes(s.verifier))
    .map((s): Cosignature => ({
      name: s.name,
      keyId: keyIdHex(s.keyId),
      ...(s.verifier.type === SIGNATURE_TYPE.cosignatureV1 ? { timestamp: parseTimestampedSignature(s.signature).timestamp } : {}),
    }));
  const quorum = policy.witnessQuorum ?? 0;
  if (cosignatures.length < quorum) {
    throw new LedgerError('LEDGER_COSIGNATURE_QUORUM', `${cosignatures.length} of the required ${quorum} witnesses cosigned`, {
      cosigned: cosignatures.length,
      required: quorum,
    });
  }
  return { ...checkpoint, text: opened.text, note: opened, signedBy, cosignatures };
}
