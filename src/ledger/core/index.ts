/**
 * The transparency log core: RFC 9162 Merkle trees and the C2SP formats
 * (signed-note, tlog-checkpoint, tlog-cosignature, tlog-tiles, tlog-proof),
 * plus Fabgate's leaf format and canonical JSON. Pure: no I/O beyond the
 * `TileFetcher` a caller passes in, no dependency beyond node:crypto.
 */
export { LedgerError, type LedgerErrorCode } from './errors.js';
export { MAX_UINT64, decodeBase64Strict, encodeBase64, toHex } from './bytes.js';
export { HASH_SIZE, emptyRoot, hashChildren, hashLeaf, sha256 } from './hash.js';
export { isPowerOfTwo, perfectSubtrees, splitPoint, type LeafRange, type NodeId } from './tree.js';
export { CompactRange, type NodeSink } from './compact-range.js';
export { MemoryHashStore, type HashReader } from './hash-store.js';
export {
  consistencyPath,
  consistencyProof,
  inclusionPath,
  inclusionProof,
  planConsistencyProof,
  planInclusionProof,
  planRoot,
  rootAt,
  type ProofPlan,
} from './proof.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './verify.js';
export { SIGNATURE_TYPE, computeKeyId, isValidKeyName, keyIdHex, type NoteSigner, type NoteVerifier, type SignatureType } from './key-id.js';
export {
  EcdsaNoteVerifier,
  Ed25519NoteSigner,
  Ed25519NoteVerifier,
  Rfc6962NoteVerifier,
  formatVerifierKey,
  generateNoteKey,
  parseSignerKey,
  parseVerifierKey,
} from './keys.js';
export { DEFAULT_NOTE_LIMITS, openNote, parseNote, signNote, type NoteLimits, type NoteSignature, type OpenedNote, type ParsedNote } from './note.js';
export {
  formatCheckpoint,
  openCheckpoint,
  parseCheckpoint,
  type Checkpoint,
  type CheckpointPolicy,
  type Cosignature,
  type VerifiedCheckpoint,
} from './checkpoint.js';
export {
  CosignatureV1Signer,
  CosignatureV1Verifier,
  MAX_COSIGNATURE_TIMESTAMP,
  cosignatureMessage,
  parseTimestampedSignature,
} from './cosignature.js';
export { TILE_HEIGHT, TILE_WIDTH, changedTiles, encodeTileIndex, parseTilePath, tilePath, type TileId } from './tile-path.js';
export {
  MAX_ENTRY_SIZE,
  TileHashReader,
  TileReader,
  checkTile,
  encodeEntryBundle,
  locateNode,
  parseEntryBundle,
  type TileFetcher,
} from './tiles.js';
export { verifyTiledLog, type TiledLogReport } from './tiled-log.js';
export { RECEIPT_HEADER, formatReceipt, parseReceipt, verifyReceipt, type Receipt, type VerifiedReceipt } from './receipt.js';
export { MAX_JSON_DEPTH, canonicalJson, canonicalJsonBytes } from './canonical-json.js';
export {
  LEAF_HEADER,
  SALT_SIZE,
  decodeLeaf,
  encodeLeaf,
  leafForRecord,
  leafTime,
  newSalt,
  recordCommitment,
  verifyCommitment,
  type LeafEvent,
} from './leaf.js';
