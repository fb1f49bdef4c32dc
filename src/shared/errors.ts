/**
 * Errors as values with stable codes.
 *
 * Domain code throws (or returns) a `FabgateError` whose `code` is a stable,
 * SCREAMING_SNAKE identifier (tests assert it) and whose `kind` says what went
 * wrong in domain terms. Only the HTTP edge maps `kind` to a status code, and
 * only the CLI edge maps it to an exit code: pure code knows neither.
 */
export type ErrorKind =
  /** The input is malformed, of the wrong type, or violates a rule of its format. */
  | 'invalid_input'
  /** The input is larger than the configured limit (body, archive, line, ratio). */
  | 'too_large'
  /** No credentials, or credentials that are not valid. */
  | 'unauthenticated'
  /** Valid credentials, but the role or permission does not allow this. */
  | 'forbidden'
  /** The record does not exist, or belongs to another organisation (never leak which). */
  | 'not_found'
  /** The request conflicts with the current state (wrong case state, balance exhausted, replay). */
  | 'conflict'
  /** A signature, hash, proof or tag does not verify: the data was altered or forged. */
  | 'integrity'
  /** Too many attempts; try again later. */
  | 'rate_limited'
  /** A dependency (database, remote log) is unavailable. */
  | 'unavailable'
  /** A bug or an unexpected failure inside Fabgate. */
  | 'internal';

export class FabgateError<Code extends string = string> extends Error {
  override readonly name: string = 'FabgateError';
  constructor(
    readonly code: Code,
    message: string,
    readonly kind: ErrorKind = 'invalid_input',
    readonly details?: unknown,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isFabgateError(e: unknown): e is FabgateError {
  return e instanceof FabgateError;
}
