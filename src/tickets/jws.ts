/**
 * JWS compact serialisation with EdDSA (Ed25519) only — RFC 7515 §7.1 and
 * RFC 8037. Deliberately narrow: one algorithm, so there is no algorithm to
 * confuse ("alg": "none", HMAC-with-a-public-key), and a size limit before any
 * parsing. Signing and verification are node:crypto's Ed25519.
 */
import { sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { TicketError, type TicketErrorCode } from './errors.js';

export const MAX_JWS_BYTES = 64 * 1024;
const B64URL = /^[A-Za-z0-9_-]*$/;

export interface JwsHeader {
  alg: 'EdDSA';
  typ: string;
  kid: string;
}

function b64url(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

function decodePart(part: string, what: string, code: TicketErrorCode): Buffer {
  // Node's decoder skips junk silently; insist on the alphabet and canonical length.
  if (!B64URL.test(part) || part.length % 4 === 1) throw new TicketError(code, `${what} is not base64url`);
  const bytes = Buffer.from(part, 'base64url');
  if (bytes.toString('base64url') !== part) throw new TicketError(code, `${what} is not canonical base64url`);
  return bytes;
}

/** Sign `payload` (a JSON object) as a JWS compact string with an Ed25519 key. */
export function signJws(header: Omit<JwsHeader, 'alg'>, payload: object, privateKey: KeyObject): string {
  const signingInput = `${b64url(JSON.stringify({ alg: 'EdDSA', ...header }))}.${b64url(JSON.stringify(payload))}`;
  return `${signingInput}.${b64url(edSign(null, Buffer.from(signingInput, 'ascii'), privateKey))}`;
}

/** Split and decode a JWS without verifying it (the caller picks the key by `kid`). */
export function decodeJws(jws: string, expectedTyp: string, code: TicketErrorCode = 'TICKET_MALFORMED'): { header: JwsHeader; payload: unknown; signingInput: string; signature: Buffer } {
  if (typeof jws !== 'string') throw new TicketError(code, 'a JWS is a string');
  if (Buffer.byteLength(jws) > MAX_JWS_BYTES) throw new TicketError('TICKET_TOO_LARGE', `a JWS is limited to ${MAX_JWS_BYTES} bytes`);
  const parts = jws.trim().split('.');
  if (parts.length !== 3) throw new TicketError(code, 'a JWS compact serialisation has three dot-separated parts');
  const [h, p, s] = parts as [string, string, string];
  let header: unknown;
  let payload: unknown;
  try {
    header = JSON.parse(decodePart(h, 'the header', code).toString('utf8'));
    payload = JSON.parse(decodePart(p, 'the payload', code).toString('utf8'));
  } catch (e) {
    if (e instanceof TicketError) throw e;
    throw new TicketError(code, 'the header or payload is not JSON');
  }
  const hd = header as Partial<JwsHeader> & Record<string, unknown>;
  if (typeof hd !== 'object' || hd === null || hd.alg !== 'EdDSA') throw new TicketError(code, 'the only algorithm accepted is EdDSA (Ed25519)');
  if (hd.typ !== expectedTyp) throw new TicketError(code, `the header typ must be ${expectedTyp}`);
  if (typeof hd.kid !== 'string' || hd.kid.length === 0 || hd.kid.length > 128) throw new TicketError(code, 'the header needs a kid naming the signing key');
  // RFC 7515 §4.1.11: a "crit" header we do not understand must make the JWS invalid.
  if ('crit' in hd) throw new TicketError(code, 'critical header parameters are not supported');
  const signature = decodePart(s, 'the signature', code);
  if (signature.length !== 64) throw new TicketError(code, 'an Ed25519 signature is 64 bytes');
  return { header: hd as JwsHeader, payload, signingInput: `${h}.${p}`, signature };
}

/** Verify the signature of a decoded JWS. */
export function verifyJwsSignature(decoded: { signingInput: string; signature: Buffer }, publicKey: KeyObject): boolean {
  return edVerify(null, Buffer.from(decoded.signingInput, 'ascii'), publicKey, decoded.signature);
}
