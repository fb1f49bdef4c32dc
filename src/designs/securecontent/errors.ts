import { FabgateError, type ErrorKind } from '../../shared/errors.js';

/**
 * Every stable error code the Secure Content module throws. Tests assert these
 * codes; `details.reason` narrows the cause where one code covers several.
 */
export type DesignErrorCode =
  /** Not a ZIP, truncated, a bad CRC, an unsupported ZIP feature (encryption, compression method). */
  | 'DESIGN_ARCHIVE_MALFORMED'
  /** A hostile entry: path traversal, absolute path, backslash, drive letter, duplicate name, symlink. */
  | 'DESIGN_ARCHIVE_UNSAFE'
  /** Over a limit: entry count, entry or total uncompressed size, compression ratio (zip bomb). */
  | 'DESIGN_ARCHIVE_TOO_LARGE'
  /** XML that is not well-formed, not UTF-8, too deep, or of the wrong vocabulary. */
  | 'DESIGN_XML_MALFORMED'
  /** XML carrying a DOCTYPE (DTDs and entity declarations are refused outright). */
  | 'DESIGN_XML_DTD_FORBIDDEN'
  /** The OPC / 3MF package structure is wrong (content types, relationships, start part, encrypted-file links). */
  | 'DESIGN_PACKAGE_INVALID'
  /** The root 3D model part breaks a core-specification rule this module checks. */
  | 'DESIGN_MODEL_INVALID'
  /** `Secure/keystore.xml` does not follow the Secure Content schema. */
  | 'DESIGN_KEYSTORE_MALFORMED'
  /** A wrapping, digest, mask-generation or content algorithm this module does not implement. */
  | 'DESIGN_ALGORITHM_UNSUPPORTED'
  /** The keystore names no consumer with the given id (and key id). */
  | 'DESIGN_CONSUMER_NOT_FOUND'
  /** The consumer's private key does not unwrap the content key. */
  | 'DESIGN_KEY_UNWRAP_FAILED'
  /** A key file that is not a usable key of the expected type and size. */
  | 'DESIGN_KEY_INVALID'
  /** A `%3McF` cipher file header that is not version 0 or lies about its length. */
  | 'DESIGN_CIPHER_HEADER_INVALID'
  /** AES-GCM authentication failed (ciphertext, tag, IV or AAD altered), or the content does not inflate. */
  | 'DESIGN_DECRYPT_FAILED'
  /** The Fabgate manifest is malformed, not canonical, or its signature does not verify. */
  | 'DESIGN_MANIFEST_INVALID'
  /** A manifest was required (or the parts show one was stripped) but none is present. */
  | 'DESIGN_MANIFEST_MISSING'
  /** The manifest is signed by a key the caller does not trust. */
  | 'DESIGN_SIGNER_UNTRUSTED'
  /** A part is unknown to the manifest, missing, swapped, or its digest or AAD binding differs. */
  | 'DESIGN_PART_MISMATCH'
  /** A part is over the plaintext size limit after decryption and inflation. */
  | 'DESIGN_PART_TOO_LARGE'
  /** The detached envelope header, framing or trailer is malformed. */
  | 'DESIGN_ENVELOPE_MALFORMED'
  /** The detached envelope ends before its last chunk (truncation). */
  | 'DESIGN_ENVELOPE_TRUNCATED'
  /** Refused to write a decrypted part outside the output directory. */
  | 'DESIGN_OUTPUT_UNSAFE';

const DEFAULT_KIND: Record<DesignErrorCode, ErrorKind> = {
  DESIGN_ARCHIVE_MALFORMED: 'invalid_input',
  DESIGN_ARCHIVE_UNSAFE: 'invalid_input',
  DESIGN_ARCHIVE_TOO_LARGE: 'too_large',
  DESIGN_XML_MALFORMED: 'invalid_input',
  DESIGN_XML_DTD_FORBIDDEN: 'invalid_input',
  DESIGN_PACKAGE_INVALID: 'invalid_input',
  DESIGN_MODEL_INVALID: 'invalid_input',
  DESIGN_KEYSTORE_MALFORMED: 'invalid_input',
  DESIGN_ALGORITHM_UNSUPPORTED: 'invalid_input',
  DESIGN_CONSUMER_NOT_FOUND: 'not_found',
  DESIGN_KEY_UNWRAP_FAILED: 'integrity',
  DESIGN_KEY_INVALID: 'invalid_input',
  DESIGN_CIPHER_HEADER_INVALID: 'integrity',
  DESIGN_DECRYPT_FAILED: 'integrity',
  DESIGN_MANIFEST_INVALID: 'integrity',
  DESIGN_MANIFEST_MISSING: 'integrity',
  DESIGN_SIGNER_UNTRUSTED: 'integrity',
  DESIGN_PART_MISMATCH: 'integrity',
  DESIGN_PART_TOO_LARGE: 'too_large',
  DESIGN_ENVELOPE_MALFORMED: 'integrity',
  DESIGN_ENVELOPE_TRUNCATED: 'integrity',
  DESIGN_OUTPUT_UNSAFE: 'invalid_input',
};

export type DesignError = FabgateError<DesignErrorCode>;

/** A `FabgateError` with a design code and that code's usual kind. */
export function designError(code: DesignErrorCode, message: string, details?: Record<string, unknown>, kind?: ErrorKind): DesignError {
  return new FabgateError(code, message, kind ?? DEFAULT_KIND[code], details);
}

export function isDesignError(e: unknown, code?: DesignErrorCode): e is DesignError {
  return e instanceof FabgateError && (code === undefined ? e.code.startsWith('DESIGN_') : e.code === code);
}
