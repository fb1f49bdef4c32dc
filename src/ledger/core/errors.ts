import { FabgateError, type ErrorKind } from '../../shared/errors.js';

/**
 * Every way a Merkle proof, signed note, checkpoint, tile, receipt or leaf can be
 * wrong, as a stable code. Tests and callers branch on these, never on messages.
 *
 * The kind follows one rule: input that cannot be read (bad syntax, bad length,
 * out-of-range numbers) is `invalid_input` (CLI exit 2); input that reads fine but
 * does not verify (a root, signature or commitment that does not match) is
 * `integrity` (CLI exit 1).
 */
const LEDGER_ERRORS = {
  /** A hash is not exactly 32 bytes (SHA-256). Verifiers must never pad or truncate. */
  LEDGER_HASH_SIZE: 'invalid_input',
  /** A tree size or index is negative or above 2^64-1 (RFC 9162 sizes are uint64). */
  LEDGER_SIZE_OVERFLOW: 'invalid_input',
  /** A leaf index is not below the tree size. */
  LEDGER_INDEX_OUT_OF_RANGE: 'integrity',
  /** A proof has the wrong number of hashes for its index and sizes. */
  LEDGER_PROOF_LENGTH: 'integrity',
  /** A proof recomputes to a root other than the expected one. */
  LEDGER_ROOT_MISMATCH: 'integrity',
  /** A proof that cannot exist: consistency from an empty tree, or from a larger tree to a smaller one. */
  LEDGER_PROOF_INVALID: 'integrity',
  /** A proof was requested that cannot exist (index not below size, sizes out of order, beyond the stored tree). */
  LEDGER_PROOF_REQUEST_INVALID: 'invalid_input',
  /** The hash source cannot serve a node the proof needs (not stored, beyond the tree). */
  LEDGER_NODE_MISSING: 'not_found',

  /** A signed note breaks the c2sp.org/signed-note format. */
  LEDGER_NOTE_MALFORMED: 'invalid_input',
  /** A signed note is larger, or carries more signatures, than a verifier accepts. */
  LEDGER_NOTE_TOO_LARGE: 'too_large',
  /** A signature from a known key does not verify. */
  LEDGER_SIGNATURE_INVALID: 'integrity',
  /** No signature from a known key is present: the note's text must be ignored. */
  LEDGER_NOTE_UNVERIFIED: 'integrity',
  /** A verifier or signer key string is malformed (name, hex key ID, base64, length). */
  LEDGER_KEY_MALFORMED: 'invalid_input',
  /** A key's declared key ID is not the one its name and public key produce. */
  LEDGER_KEY_ID_MISMATCH: 'invalid_input',
  /** No verifier key was given or could be found. */
  LEDGER_KEY_MISSING: 'invalid_input',
  /** A key uses a signature type this implementation does not support. */
  LEDGER_KEY_ALGORITHM: 'invalid_input',

  /** A checkpoint body breaks c2sp.org/tlog-checkpoint. */
  LEDGER_CHECKPOINT_MALFORMED: 'invalid_input',
  /** A checkpoint names another log than the one expected. */
  LEDGER_ORIGIN_MISMATCH: 'integrity',
  /** A cosignature line is not a c2sp.org/tlog-cosignature Ed25519 timestamped signature. */
  LEDGER_COSIGNATURE_MALFORMED: 'invalid_input',
  /** Fewer trusted witnesses cosigned the checkpoint than the policy requires. */
  LEDGER_COSIGNATURE_QUORUM: 'integrity',

  /** A tile path breaks the c2sp.org/tlog-tiles encoding. */
  LEDGER_TILE_PATH_MALFORMED: 'invalid_input',
  /** A tile's bytes are not width x 32 bytes, or a needed tile is not consistent with the tree. */
  LEDGER_TILE_MALFORMED: 'integrity',
  /** An entry bundle is truncated, too long, or holds the wrong number of entries. */
  LEDGER_BUNDLE_MALFORMED: 'integrity',
  /** A tile or checkpoint could not be fetched. */
  LEDGER_FETCH_FAILED: 'unavailable',

  /** A c2sp.org/tlog-proof file is malformed. */
  LEDGER_RECEIPT_MALFORMED: 'invalid_input',
  /** A receipt, entry or key file cannot be read. */
  LEDGER_INPUT_UNREADABLE: 'invalid_input',
  /** A receipt carries no entry and none was supplied, so inclusion cannot be checked. */
  LEDGER_RECEIPT_NO_ENTRY: 'invalid_input',

  /** A Fabgate leaf breaks the format in LEAF-FORMAT.md. */
  LEDGER_LEAF_MALFORMED: 'invalid_input',
  /** A record and salt do not hash to the commitment in the leaf. */
  LEDGER_COMMITMENT_MISMATCH: 'integrity',
  /** A value has no canonical JSON form (non-finite number, undefined, bigint, lone surrogate, class instance, cycle). */
  LEDGER_JSON_UNSUPPORTED: 'invalid_input',
  /** A value nests deeper than the canonical JSON encoder accepts. */
  LEDGER_JSON_TOO_DEEP: 'too_large',
} as const satisfies Record<string, ErrorKind>;

export type LedgerErrorCode = keyof typeof LEDGER_ERRORS;

/** A FabgateError whose code is one of the ledger codes; its kind is fixed by the code. */
export class LedgerError extends FabgateError<LedgerErrorCode> {
  override readonly name = 'LedgerError';
  constructor(code: LedgerErrorCode, message: string, details?: unknown) {
    super(code, message, LEDGER_ERRORS[code], details);
  }
}

