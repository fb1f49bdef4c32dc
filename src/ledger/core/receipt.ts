/**
 * c2sp.org/tlog-proof@v1: an offline-verifiable receipt that an entry is in a
 * log (a "transparent" or "spicy" signature).
 *
 *   c2sp.org/tlog-proof@v1
 *   [extra <base64 opaque data>]
 *   index <decimal leaf index>
 *   <base64 inclusion proof hash, leaf sibling first>...
 *   <empty line>
 *   <the signed checkpoint, verbatim>
 *
 * Fabgate puts the logged entry itself (the leaf bytes, see LEAF-FORMAT.md)
 * in `extra`, so a receipt alone proves what was logged. `extra` is not
 * authenticated by anything but the proof: it is hashed into the leaf hash
 * and believed only if the inclusion proof then verifies against the
 * checkpoint's signed root.
 */
import { MAX_UINT64, decodeBase64Strict, decodeUtf8Strict, encodeBase64, isWellFormedString, parseDecimal, utf8 } from './bytes.js';
import { openCheckpoint, type CheckpointPolicy, type VerifiedCheckpoint } from './checkpoint.js';
import { LedgerError } from './errors.js';
import { HASH_SIZE, assertHash, hashLeaf } from './hash.js';
import { DEFAULT_NOTE_LIMITS, parseNote } from './note.js';
import { assertUint64 } from './tree.js';
import { verifyInclusion } from './verify.js';

export const RECEIPT_HEADER = 'c2sp.org/tlog-proof@v1';
/** A proof for a tree of at most 2^64-1 leaves has at most 64 hashes. */
const MAX_PROOF_HASHES = 64;
/** The checkpoint's own limit plus room for 64 proof lines and the extra data. */
const MAX_RECEIPT_BYTES = DEFAULT_NOTE_LIMITS.maxBytes + 256 * 1024;

export interface Receipt {
  /** Opaque extra data (Fabgate: the logged entry); unauthenticated until verified. */
  readonly extra?: Uint8Array;
  readonly index: bigint;
  readonly proof: readonly Uint8Array[];
  /** The signed checkpoint note, verbatim. */
  readonly checkpoint: string;
}

function malformed(message: string): LedgerError {
  return new LedgerError('LEDGER_RECEIPT_MALFORMED', message);
}

/** The text of a receipt. */
export function formatReceipt(receipt: Receipt): string {
  assertUint64(receipt.index, 'leaf index');
  receipt.proof.forEach((h, i) => assertHash(h, `inclusion proof hash ${i}`));
  parseNote(receipt.checkpoint); // only a well-formed signed note may be embedded
  const lines = [RECEIPT_HEADER];
  if (receipt.extra !== undefined && receipt.extra.length > 0) lines.push(`extra ${encodeBase64(receipt.extra)}`);
  lines.push(`index ${receipt.index}`, ...receipt.proof.map(encodeBase64));
  return `${lines.join('\n')}\n\n${receipt.checkpoint}`;
}

/** Parse a receipt's structure; nothing is verified yet (see `verifyReceipt`). */
export function parseReceipt(input: Uint8Array | string): Receipt {
  if (typeof input === 'string' && !isWellFormedString(input)) throw malformed('a receipt must be valid UTF-8');
  const bytes = typeof input === 'string' ? utf8(input) : input;
  if (bytes.length > MAX_RECEIPT_BYTES) {
    throw new LedgerError('LEDGER_NOTE_TOO_LARGE', `a receipt is limited to ${MAX_RECEIPT_BYTES} bytes`);
  }
  const text = decodeUtf8Strict(bytes);
  if (text === undefined) throw malformed('a receipt must be valid UTF-8');
  const split = text.indexOf('\n\n');
  if (split < 0) throw malformed('a receipt needs an empty line between the proof and the checkpoint');
  const lines = text.slice(0, split).split('\n');
  const checkpoint = text.slice(split + 2);

  if (lines.shift() !== RECEIPT_HEADER) throw malformed(`the first line must be ${RECEIPT_HEADER}`);
  let extra: Uint8Array | undefined;
  if (lines[0]?.startsWith('extra ')) {
    extra = decodeBase64Strict(lines.shift()!.slice('extra '.length));
    if (extra === undefined || extra.length === 0) throw malformed('the extra line must carry non-empty standard base64');
  }
  const indexLine = lines.shift();
  const index = indexLine?.startsWith('index ') ? parseDecimal(indexLine.slice('index '.length)) : undefined;
  if (index === undefined) throw malformed('the index line is "index <decimal with no leading zeroes>"');
  if (index > MAX_UINT64) throw new LedgerError('LEDGER_SIZE_OVERFLOW', 'the receipt index exceeds 2^64-1');
  if (lines.length > MAX_PROOF_HASHES) throw malformed(`an inclusion proof has at most ${MAX_PROOF_HASHES} hashes`);
  const proof = lines.map((line, i) => {
    const hash = decodeBase64Strict(line);
    if (hash === undefined || line.length === 0) throw malformed(`proof line ${i + 1} is not standard base64`);
    if (hash.length !== HASH_SIZE) assertHash(hash, `inclusion proof hash ${i}`);
    return hash;
  });
  return extra === undefined ? { index, proof, checkpoint } : { extra, index, proof, checkpoint };
}

export interface VerifiedReceipt {
  readonly index: bigint;
  /** The entry whose inclusion was proven. */
  readonly entry: Uint8Array;
  readonly leafHash: Uint8Array;
  readonly checkpoint: VerifiedCheckpoint;
}

/**
 * Verify a receipt offline: the checkpoint under `policy` (log key, origin,
 * witnesses), then the inclusion of `entry` (default: the receipt's extra
 * data) at the receipt's index under the checkpoint's root.
 */
export function verifyReceipt(input: Uint8Array | string, policy: CheckpointPolicy, entry?: Uint8Array): VerifiedReceipt {
  const receipt = parseReceipt(input);
  const logged = entry ?? receipt.extra;
  if (logged === undefined) {
    throw new LedgerError('LEDGER_RECEIPT_NO_ENTRY', 'the receipt carries no entry; supply the logged entry to check inclusion');
  }
  const checkpoint = openCheckpoint(receipt.checkpoint, policy);
  const leafHash = hashLeaf(logged);
  verifyInclusion(leafHash, receipt.index, checkpoint.size, receipt.proof, checkpoint.rootHash);
  return { index: receipt.index, entry: logged, leafHash, checkpoint };
}
