/**
 * Uploaded documents (end-use statements, contracts, evidence): the type is
 * read from the bytes, never taken from the client's Content-Type or file
 * name, and must be on the allow-list; the size is capped; the name is
 * reduced to a safe base name. Pure.
 */
import { FabgateError } from '../shared/errors.js';
import { licensingReference } from './reference.js';

const startsWith = (b: Uint8Array, sig: number[]) => sig.every((x, i) => b[i] === x);

/** The media type the bytes actually are, or null when none of the allowed types. */
export function sniffMediaType(bytes: Uint8Array): string | null {
  if (startsWith(bytes, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf'; // %PDF-
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  // Plain text: valid UTF-8 without NUL or control characters other than tab, line feed and carriage return.
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return 'text/plain';
  } catch {
    // not UTF-8
  }
  return null;
}

/** A file name safe to show and to send back in Content-Disposition: base name, printable, at most 200 characters. */
export function safeFilename(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').trim().slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : 'document';
}

export interface CheckedDocument {
  media_type: string;
  filename: string;
  size: number;
}

/** Check an upload: LICENSING_DOCUMENT_TYPE_UNKNOWN, LICENSING_DOCUMENT_EMPTY, LICENSING_DOCUMENT_TOO_LARGE or LICENSING_DOCUMENT_MEDIA_TYPE. */
export function checkDocument(docType: string, filename: string, bytes: Uint8Array): CheckedDocument {
  const vocab = licensingReference().vocabularies.data;
  if (!vocab.document_types.some((d) => d.id === docType)) {
    throw new FabgateError('LICENSING_DOCUMENT_TYPE_UNKNOWN', `no document type '${docType}'`, 'invalid_input', { known: vocab.document_types.map((d) => d.id) });
  }
  if (bytes.length === 0) throw new FabgateError('LICENSING_DOCUMENT_EMPTY', 'the file is empty', 'invalid_input');
  if (bytes.length > vocab.document_max_bytes) {
    throw new FabgateError('LICENSING_DOCUMENT_TOO_LARGE', `documents are limited to ${vocab.document_max_bytes} bytes`, 'too_large', { limit: vocab.document_max_bytes, size: bytes.length });
  }
  const media = sniffMediaType(bytes);
  if (!media || !vocab.document_media_types.includes(media)) {
    throw new FabgateError('LICENSING_DOCUMENT_MEDIA_TYPE', `only ${vocab.document_media_types.join(', ')} are accepted`, 'invalid_input', { allowed: vocab.document_media_types });
  }
  return { media_type: media, filename: safeFilename(filename), size: bytes.length };
}
