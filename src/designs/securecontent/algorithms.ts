import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import { designError } from './errors.js';

/**
 * The algorithm identifiers of Secure Content §2.2.1.1 (content encryption)
 * and §2.2.2.1 (key wrapping), mapped to what node:crypto implements.
 */

/** AES-256-GCM, the one content encryption algorithm consumers MUST support. */
export const AES256_GCM = 'http://www.w3.org/2009/xmlenc11#aes256-gcm';

export const WRAPPING = {
  /** RSA-OAEP with MGF1-SHA1 fixed; digest per `digestmethod` (default SHA-1). */
  rsaOaepMgf1p: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
  /** RSA-OAEP with MGF per `mgfalgorithm` (default MGF1-SHA1); what lib3mf writes. */
  rsaOaep: 'http://www.w3.org/2009/xmlenc11#rsa-oaep',
  /**
   * The identifier of the spec's own "recommended" example (§2.2.2.1). It is
   * not an XML Encryption URI and lib3mf refuses it; Fabgate reads it as
   * `rsaOaep` but never writes it.
   */
  rsaOaepSpecExample: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep',
} as const;

export type HashName = 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';

const MGF: Record<string, HashName> = {
  'http://www.w3.org/2009/xmlenc11#mgf1sha1': 'sha1',
  'http://www.w3.org/2009/xmlenc11#mgf1sha224': 'sha224',
  'http://www.w3.org/2009/xmlenc11#mgf1sha256': 'sha256',
  'http://www.w3.org/2009/xmlenc11#mgf1sha384': 'sha384',
  'http://www.w3.org/2009/xmlenc11#mgf1sha512': 'sha512',
};

const DIGEST: Record<string, HashName> = {
  'http://www.w3.org/2000/09/xmldsig#sha1': 'sha1',
  'http://www.w3.org/2001/04/xmldsig-more#sha224': 'sha224',
  'http://www.w3.org/2001/04/xmlenc#sha256': 'sha256',
  'http://www.w3.org/2001/04/xmldsig-more#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha384': 'sha384',
  'http://www.w3.org/2001/04/xmlenc#sha512': 'sha512',
};

const MGF_URI: Record<'sha1' | 'sha256', string> = {
  sha1: 'http://www.w3.org/2009/xmlenc11#mgf1sha1',
  sha256: 'http://www.w3.org/2009/xmlenc11#mgf1sha256',
};
const DIGEST_URI: Record<'sha1' | 'sha256', string> = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
};

/** `<kekparams>` attributes. */
export interface KekParams {
  readonly wrappingAlgorithm: string;
  readonly mgfAlgorithm?: string;
  readonly digestMethod?: string;
}

/**
 * The OAEP hash for a `<kekparams>`. node:crypto (like WebCrypto) uses one
 * hash for both the OAEP digest and MGF1, so parameters that mix them (e.g.
 * SHA-256 digest with MGF1-SHA1) are refused as unsupported rather than
 * implemented by hand.
 */
export function oaepHashOf(params: KekParams): HashName {
  const { wrappingAlgorithm, mgfAlgorithm, digestMethod } = params;
  let mgf: HashName;
  if (wrappingAlgorithm === WRAPPING.rsaOaepMgf1p) {
    // §2.2.2.1: with rsa-oaep-mgf1p the mgfalgorithm MUST NOT be given (MGF1-SHA1 is implied).
    if (mgfAlgorithm !== undefined && MGF[mgfAlgorithm] !== 'sha1') {
      throw designError('DESIGN_KEYSTORE_MALFORMED', 'rsa-oaep-mgf1p fixes MGF1-SHA1, but the keystore names another mask generation function', { reason: 'kekparams' });
    }
    mgf = 'sha1';
  } else if (wrappingAlgorithm === WRAPPING.rsaOaep || wrappingAlgorithm === WRAPPING.rsaOaepSpecExample) {
    if (mgfAlgorithm === undefined) mgf = 'sha1';
    else if (MGF[mgfAlgorithm]) mgf = MGF[mgfAlgorithm];
    else throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `mask generation function '${mgfAlgorithm}' is not supported`, { reason: 'mgf', uri: mgfAlgorithm });
  } else {
    throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `key wrapping algorithm '${wrappingAlgorithm}' is not supported (RSA-OAEP only)`, { reason: 'wrapping', uri: wrappingAlgorithm });
  }
  const digest = digestMethod === undefined ? 'sha1' : DIGEST[digestMethod];
  if (!digest) throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `digest method '${digestMethod}' is not supported`, { reason: 'digest', uri: digestMethod });
  if (digest !== mgf) {
    throw designError('DESIGN_ALGORITHM_UNSUPPORTED', `OAEP with digest ${digest} and MGF1-${mgf} is not supported (node:crypto uses one hash for both)`, { reason: 'mixed-oaep-hashes' });
  }
  return digest;
}

/** The `<kekparams>` Fabgate writes: the xmlenc11 URI lib3mf writes, with explicit MGF and digest. */
export function kekParamsFor(hash: 'sha1' | 'sha256'): KekParams {
  return { wrappingAlgorithm: WRAPPING.rsaOaep, mgfAlgorithm: MGF_URI[hash], digestMethod: DIGEST_URI[hash] };
}

/** RSA-OAEP-encrypts a content key for one consumer. */
export function wrapContentKey(publicKey: KeyObject, contentKey: Uint8Array, hash: HashName): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, contentKey);
}

/** RSA-OAEP-decrypts a wrapped content key; any failure is DESIGN_KEY_UNWRAP_FAILED. */
export function unwrapContentKey(privateKey: KeyObject, wrapped: Uint8Array, hash: HashName): Buffer {
  let key: Buffer;
  try {
    key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, wrapped);
  } catch {
    throw designError('DESIGN_KEY_UNWRAP_FAILED', 'the private key does not unwrap the content key (wrong key, or an altered wrapped key)', { reason: 'oaep' });
  }
  if (key.length !== 32) {
    throw designError('DESIGN_KEY_UNWRAP_FAILED', `the unwrapped content key is ${key.length} bytes; AES-256 needs 32`, { reason: 'key-length' });
  }
  return key;
}
