/**
 * Byte helpers shared by the ledger core: strict encodings and uint64 handling.
 *
 * Node's `Buffer.from(s, 'base64')` silently skips characters it does not know and
 * accepts missing padding; a verifier that is that lenient lets two different
 * strings name the same bytes. Everything here is strict: one string, one value.
 */

/** 2^64 - 1: the largest tree size or index in RFC 9162 (sizes are uint64). */
export const MAX_UINT64 = (1n << 64n) - 1n;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decode standard base64 (RFC 4648 §4, with padding) strictly: only the alphabet,
 * correct padding, and zero pad bits (the canonical encoding). Returns undefined
 * on any deviation so the caller can raise its own, specific error.
 */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding catches non-zero pad bits ("QR==" and "QQ==" must not both decode to "A").
  if (bytes.toString('base64') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Decode hex (either case) strictly; undefined on odd length or a non-hex character. */
export function fromHexStrict(text: string): Uint8Array | undefined {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const utf8Encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text instead of silently dropping it.
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decode UTF-8 strictly; undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** Big-endian uint64 (RFC 8446 §3.3 serialisation), as used by cosignature timestamps. */
export function encodeUint64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, false);
  return out;
}

export function decodeUint64(bytes: Uint8Array, offset = 0): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(offset, false);
}

export function encodeUint32(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value, false);
  return out;
}

export function decodeUint32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

/**
 * Parse an ASCII decimal with no leading zeroes (unless it is "0"), the form the
 * C2SP checkpoint, proof and tile specs require. Undefined when it is not one;
 * the caller decides about the range.
 */
export function parseDecimal(text: string): bigint | undefined {
  if (!/^(?:0|[1-9][0-9]*)$/.test(text) || text.length > 40) return undefined;
  return BigInt(text);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` has no lone surrogate, i.e. it has a UTF-8 encoding. */
export function isWellFormedString(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}
