/**
 * c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1" (signature type 0x04):
 * a witness's timestamped statement that, as of that time, this checkpoint is
 * the largest consistent tree head it has seen for the log.
 *
 * Signature bytes (after the 4-byte key ID) are a `timestamped_signature`:
 * u64 big-endian POSIX seconds || 64-byte Ed25519 signature. The signed message
 * is "cosignature/v1\n" || "time <seconds>\n" || the checkpoint note text.
 */
import type { KeyObject } from 'node:crypto';
import { concatBytes, decodeUint64, encodeUint64, utf8 } from './bytes.js';
import { ED25519_SIGNATURE_SIZE, ed25519KeyPair, ed25519PublicKey, ed25519Sign, ed25519Verify } from './ed25519.js';
import { LedgerError } from './errors.js';
import { SIGNATURE_TYPE, computeKeyId, type NoteSigner, type NoteVerifier } from './key-id.js';

/** Cosignature timestamps "MUST NOT exceed 2^63 - 1". */
export const MAX_COSIGNATURE_TIMESTAMP = (1n << 63n) - 1n;
const TIMESTAMPED_SIGNATURE_SIZE = 8 + ED25519_SIGNATURE_SIZE;

/** The message an Ed25519 cosigner signs for a checkpoint note text at `timestamp`. */
export function cosignatureMessage(checkpointText: Uint8Array, timestamp: bigint): Uint8Array {
  return concatBytes(utf8(`cosignature/v1\ntime ${timestamp}\n`), checkpointText);
}

/** Split a timestamped_signature; LEDGER_COSIGNATURE_MALFORMED if it is not one. */
export function parseTimestampedSignature(bytes: Uint8Array): { timestamp: bigint; signature: Uint8Array } {
  if (bytes.length !== TIMESTAMPED_SIGNATURE_SIZE) {
    throw new LedgerError(
      'LEDGER_COSIGNATURE_MALFORMED',
      `an Ed25519 cosignature is ${TIMESTAMPED_SIGNATURE_SIZE} bytes after the key ID, got ${bytes.length}`,
    );
  }
  const timestamp = decodeUint64(bytes, 0);
  if (timestamp > MAX_COSIGNATURE_TIMESTAMP) {
    throw new LedgerError('LEDGER_COSIGNATURE_MALFORMED', 'cosignature timestamp exceeds 2^63-1');
  }
  return { timestamp, signature: bytes.subarray(8) };
}

/** Verifies cosignature/v1 lines of one witness key. */
export class CosignatureV1Verifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.cosignatureV1;
  readonly keyId: number;
  private readonly key: KeyObject;

  /** Throws LEDGER_KEY_MALFORMED if `publicKey` is not an Ed25519 public key. */
  constructor(
    readonly name: string,
    readonly publicKey: Uint8Array,
  ) {
    const key = ed25519PublicKey(publicKey);
    if (key === undefined) throw new LedgerError('LEDGER_KEY_MALFORMED', 'a cosigner key must be a 32-byte Ed25519 public key');
    this.key = key;
    this.keyId = computeKeyId(name, this.type, publicKey);
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    let parsed: { timestamp: bigint; signature: Uint8Array };
    try {
      parsed = parseTimestampedSignature(signature);
    } catch {
      return false;
    }
    return ed25519Verify(this.key, cosignatureMessage(text, parsed.timestamp), parsed.signature);
  }
}

/** Makes cosignature/v1 lines; the clock gives the time in milliseconds (floored to seconds). */
export class CosignatureV1Signer implements NoteSigner {
  readonly type = SIGNATURE_TYPE.cosignatureV1;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;

  constructor(
    readonly name: string,
    seed: Uint8Array,
    private readonly clock: () => number = Date.now,
  ) {
    const pair = ed25519KeyPair(seed);
    this.key = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyId = computeKeyId(name, this.type, this.publicKey);
  }

  sign(text: Uint8Array): Uint8Array {
    const timestamp = BigInt(Math.floor(this.clock() / 1000));
    const signature = ed25519Sign(this.key, cosignatureMessage(text, timestamp));
    return concatBytes(encodeUint64(timestamp), signature);
  }
}
