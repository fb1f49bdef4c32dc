import { FabgateError } from '../../shared/errors.js';

/** Stable error codes of list ingestion. */
export type ListErrorCode =
  | 'SCREENING_LIST_MALFORMED'
  | 'SCREENING_XML_DOCTYPE'
  | 'SCREENING_LIST_TOO_LARGE'
  | 'SCREENING_FORMAT_UNKNOWN'
  | 'SCREENING_FORMAT_UNSUPPORTED'
  | 'SCREENING_OFAC_PRIMARY_MISSING';

/**
 * Malformed input: says which file, where (line or element) and what was expected,
 * so an operator can fix the file or report it to the list publisher.
 */
export function malformed(file: string, where: string, expected: string, found?: string): FabgateError<ListErrorCode> {
  const msg = `${file}: ${where}: expected ${expected}${found === undefined ? '' : `, found ${JSON.stringify(found.slice(0, 80))}`}`;
  return new FabgateError('SCREENING_LIST_MALFORMED', msg, 'invalid_input', { file, where, expected, found });
}

export function tooLarge(file: string, where: string, limit: string): FabgateError<ListErrorCode> {
  return new FabgateError('SCREENING_LIST_TOO_LARGE', `${file}: ${where}: exceeds ${limit}`, 'too_large', { file, where, limit });
}
