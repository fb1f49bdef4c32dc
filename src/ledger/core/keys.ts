/**
 * Note keys in their c2sp.org/signed-note text forms.
 *
 *   verifier key:  <name>+<hex key ID>+<base64(type || public key)>
 *   signer key:    PRIVATE+KEY+<name>+<hex key ID>+<base64(type || private key)>
 *
 * The base64 part may itself contain '+', so a verifier key is split on its
 * first two '+' only and a signer key on its first four. A declared key ID that
 * does not match the key is refused: a typo in a pinned key must never become a
 * key that silently verifies nothing.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { concatBytes, decodeBase64Strict, decodeUint32, decodeUtf8Strict, encodeBase64, encodeUint64 } from './bytes.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { CosignatureV1Signer, CosignatureV1Verifier } from './cosignature.js';
import { ED25519_KEY_SIZE, ed25519KeyPair, ed25519PublicKey, ed25519Sign, ed25519Verify, newEd25519Seed } from './ed25519.js';
import { LedgerError } from './errors.js';
import { sha256 } from './hash.js';
import {
  SIGNATURE_TYPE,
  computeKeyId,
  isValidKeyName,
  keyIdHex,
  type NoteSigner,
  type NoteVerifier,
  type SignatureType,
} from './key-id.js';

/** Ed25519 note signatures (type 0x01): the log's own key. */
export class Ed25519NoteVerifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.ed25519;
  readonly keyId: number;
  private readonly key: KeyObject;

  constructor(
    readonly name: string,
    readonly publicKey: Uint8Array,
  ) {
    const key = ed25519PublicKey(publicKey);
    if (key === undefined) throw new LedgerError('LEDGER_KEY_MALFORMED', 'an Ed25519 public key is 32 bytes');
    this.key = key;
    this.keyId = computeKeyId(name, this.type, publicKey);
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    return ed25519Verify(this.key, text, signature);
  }
}

export class Ed25519NoteSigner implements NoteSigner {
  readonly type = SIGNATURE_TYPE.ed25519;
  readonly keyId: number;
  readonly publicKey: Uint8Array;
  private readonly key: KeyObject;

  constructor(
    readonly name: string,
    seed: Uint8Array,
  ) {
    const pair = ed25519KeyPair(seed);
    this.key = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyId = computeKeyId(name, this.type, this.publicKey);
  }

  sign(text: Uint8Array): Uint8Array {
    return ed25519Sign(this.key, text);
  }
}

/**
 * ECDSA note signatures (type 0x02, as transparency-dev/witness and Sigstore's
 * Rekor v1 use): DER signature over SHA-256 of the note text. Verification
 * only; the key ID is SHA-256(DER SubjectPublicKeyInfo)[:4], without the name.
 */
export class EcdsaNoteVerifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.ecdsa;
  readonly keyId: number;
  private readonly key: KeyObject;

  constructor(
    readonly name: string,
    readonly spki: Uint8Array,
  ) {
    this.key = ecdsaPublicKey(spki);
    this.keyId = decodeUint32(sha256(spki));
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    return ecdsaVerify(this.key, text, signature);
  }
}

/** Accept only the named NIST curves signed-note and static-ct-api allow for ECDSA. */
function ecdsaPublicKey(spki: Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw new LedgerError('LEDGER_KEY_MALFORMED', 'the ECDSA key is not a DER SubjectPublicKeyInfo');
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  // signed-note: "The ECDSA curve MUST be one of NIST P-256, NIST P-384, or NIST P-521".
  if (key.asymmetricKeyType !== 'ec' || !['prime256v1', 'secp384r1', 'secp521r1'].includes(curve ?? '')) {
    throw new LedgerError('LEDGER_KEY_ALGORITHM', `ECDSA note keys must be on P-256, P-384 or P-521, got ${curve ?? key.asymmetricKeyType}`);
  }
  return key;
}

/** ECDSA over SHA-256 with a DER signature; false (not a throw) for a malformed signature. */
function ecdsaVerify(key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify('sha256', message, key, signature);
  } catch {
    return false;
  }
}

/**
 * RFC 6962 signed tree heads as note signatures (type 0x05, c2sp.org/static-ct-api),
 * so Certificate Transparency checkpoints verify too. Verification only.
 *
 * The signature bytes are u64 milliseconds || TLS DigitallySigned (hash 4 =
 * SHA-256, signature 3 = ECDSA, u16 length, DER signature) over the RFC 6962
 * §3.5 TreeHeadSignature (v1, tree_hash, timestamp, tree size, root hash),
 * built from the checkpoint text. That structure covers neither the origin nor
 * extension lines, so the origin must be the key name and extension lines are
 * refused: nothing unsigned may ride along.
 */
export class Rfc6962NoteVerifier implements NoteVerifier {
  readonly type = SIGNATURE_TYPE.rfc6962;
  readonly keyId: number;
  private readonly key: KeyObject;

  constructor(
    readonly name: string,
    readonly spki: Uint8Array,
  ) {
    this.key = ecdsaPublicKey(spki);
    this.keyId = computeKeyId(name, this.type, sha256(spki));
  }

  verify(text: Uint8Array, signature: Uint8Array): boolean {
    if (signature.length < 12) return false;
    const [hashAlgorithm, signatureAlgorithm] = [signature[8], signature[9]];
    const length = (signature[10]! << 8) | signature[11]!;
    if (hashAlgorithm !== 4 || signatureAlgorithm !== 3 || signature.length !== 12 + length) return false;
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(decodeUtf8Strict(text) ?? '');
    } catch {
      return false;
    }
    if (checkpoint.origin !== this.name || checkpoint.extensions.length > 0) return false;
    const treeHead = concatBytes(Uint8Array.of(0, 1), signature.subarray(0, 8), encodeUint64(checkpoint.size), checkpoint.rootHash);
    return ecdsaVerify(this.key, treeHead, signature.subarray(12));
  }
}

function malformed(message: string): LedgerError {
  return new LedgerError('LEDGER_KEY_MALFORMED', message);
}

/** Split `text` on its first `count` '+' characters; undefined if it has fewer. */
function splitPlus(text: string, count: number): string[] | undefined {
  const parts: string[] = [];
  let rest = text;
  for (let i = 0; i < count; i++) {
    const at = rest.indexOf('+');
    if (at < 0) return undefined;
    parts.push(rest.slice(0, at));
    rest = rest.slice(at + 1);
  }
  parts.push(rest);
  return parts;
}

function parseKeyId(hex: string): number {
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw malformed('the key ID must be 8 hex digits');
  return Number.parseInt(hex, 16);
}

function checkKeyId(declared: number, actual: number): void {
  if (declared !== actual) {
    throw new LedgerError('LEDGER_KEY_ID_MISMATCH', `the key ID ${keyIdHex(declared)} does not match the key (${keyIdHex(actual)})`, {
      declared: keyIdHex(declared),
      actual: keyIdHex(actual),
    });
  }
}

/**
 * Parse a verifier key (vkey). Supports Ed25519 (0x01), ECDSA (0x02, verify
 * only), Ed25519 cosignature/v1 (0x04) and RFC 6962 (0x05, verify only) keys.
 *
 * @example parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k')
 */
export function parseVerifierKey(vkey: string): Ed25519NoteVerifier | EcdsaNoteVerifier | Rfc6962NoteVerifier | CosignatureV1Verifier {
  const parts = splitPlus(vkey.trim(), 2);
  if (parts === undefined) throw malformed('a verifier key is <name>+<hex key ID>+<base64 key>');
  const [name, hex, base64] = parts as [string, string, string];
  if (!isValidKeyName(name)) throw malformed('a key name must be non-empty, without spaces or "+"');
  const declared = parseKeyId(hex);
  const key = decodeBase64Strict(base64);
  if (key === undefined || key.length < 2) throw malformed('the key is not valid base64 of a type byte and key material');
  const type = key[0]!;
  const material = key.subarray(1);
  let verifier: Ed25519NoteVerifier | EcdsaNoteVerifier | Rfc6962NoteVerifier | CosignatureV1Verifier;
  switch (type) {
    case SIGNATURE_TYPE.ed25519:
      if (material.length !== ED25519_KEY_SIZE) throw malformed('an Ed25519 public key is 32 bytes');
      verifier = new Ed25519NoteVerifier(name, material);
      break;
    case SIGNATURE_TYPE.cosignatureV1:
      if (material.length !== ED25519_KEY_SIZE) throw malformed('an Ed25519 cosigner key is 32 bytes');
      verifier = new CosignatureV1Verifier(name, material);
      break;
    case SIGNATURE_TYPE.ecdsa:
      verifier = new EcdsaNoteVerifier(name, material);
      break;
    case SIGNATURE_TYPE.rfc6962:
      verifier = new Rfc6962NoteVerifier(name, material);
      break;
    default:
      throw new LedgerError('LEDGER_KEY_ALGORITHM', `unsupported signature type 0x${type.toString(16).padStart(2, '0')}`, { type });
  }
  checkKeyId(declared, verifier.keyId);
  return verifier;
}

/**
 * Parse a signer key (PRIVATE+KEY+...): Ed25519 (0x01) or Ed25519
 * cosignature/v1 (0x04, with an optional clock in milliseconds).
 */
export function parseSignerKey(skey: string, clock?: () => number): Ed25519NoteSigner | CosignatureV1Signer {
  const parts = splitPlus(skey.trim(), 4);
  if (parts === undefined || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') {
    throw malformed('a signer key is PRIVATE+KEY+<name>+<hex key ID>+<base64 key>');
  }
  const [, , name, hex, base64] = parts as [string, string, string, string, string];
  if (!isValidKeyName(name)) throw malformed('a key name must be non-empty, without spaces or "+"');
  const declared = parseKeyId(hex);
  const key = decodeBase64Strict(base64);
  if (key === undefined || key.length !== 1 + ED25519_KEY_SIZE) {
    throw malformed('the private key is not base64 of a type byte and a 32-byte Ed25519 seed');
  }
  const seed = key.subarray(1);
  let signer: Ed25519NoteSigner | CosignatureV1Signer;
  switch (key[0]) {
    case SIGNATURE_TYPE.ed25519:
      signer = new Ed25519NoteSigner(name, seed);
      break;
    case SIGNATURE_TYPE.cosignatureV1:
      signer = new CosignatureV1Signer(name, seed, clock);
      break;
    default:
      throw new LedgerError('LEDGER_KEY_ALGORITHM', `unsupported signer type 0x${key[0]!.toString(16).padStart(2, '0')}`);
  }
  checkKeyId(declared, signer.keyId);
  return signer;
}

/** The vkey text of a verifier or signer (ECDSA keys carry their SPKI). */
export function formatVerifierKey(
  key: { name: string; keyId: number; type: SignatureType } & ({ publicKey: Uint8Array } | { spki: Uint8Array }),
): string {
  const material = 'publicKey' in key ? key.publicKey : key.spki;
  return `${key.name}+${keyIdHex(key.keyId)}+${encodeBase64(concatBytes(Uint8Array.of(key.type), material))}`;
}

/**
 * A new random Ed25519 key pair for `name`, as signer and verifier key texts.
 * `type` 0x04 makes a witness cosigner key instead of a log key.
 */
export function generateNoteKey(
  name: string,
  type: typeof SIGNATURE_TYPE.ed25519 | typeof SIGNATURE_TYPE.cosignatureV1 = SIGNATURE_TYPE.ed25519,
): { signerKey: string; verifierKey: string } {
  if (!isValidKeyName(name)) throw malformed('a key name must be non-empty, without spaces or "+"');
  const seed = newEd25519Seed();
  const { publicKey } = ed25519KeyPair(seed);
  const keyId = computeKeyId(name, type, publicKey);
  return {
    signerKey: `PRIVATE+KEY+${name}+${keyIdHex(keyId)}+${encodeBase64(concatBytes(Uint8Array.of(type), seed))}`,
    verifierKey: formatVerifierKey({ name, keyId, type, publicKey }),
  };
}
