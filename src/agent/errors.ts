import { FabgateError, type ErrorKind } from '../shared/errors.js';

/**
 * Every way the print-host agent itself refuses or fails. Ticket refusals keep
 * the ticket codes (`TICKET_EXPIRED`, `TICKET_EXHAUSTED`, …), design refusals
 * the design codes (`DESIGN_*`) and envelope stops `GCODE_ENVELOPE_VIOLATION`:
 * the agent passes them through so a printer log reads like TICKET-FORMAT.md.
 */
const AGENT_ERRORS = {
  /** No enrolment in the state directory. */
  AGENT_NOT_ENROLLED: 'conflict',
  /** `enrol` over an existing enrolment without `--force`. */
  AGENT_ALREADY_ENROLLED: 'conflict',
  /** The server refused the enrolment token or the keys. */
  AGENT_ENROLMENT_REFUSED: 'forbidden',
  /** The Fabgate server could not be reached (network, TLS, timeout). */
  AGENT_SERVER_UNREACHABLE: 'unavailable',
  /** The Fabgate server answered with something the protocol does not allow. */
  AGENT_SERVER_RESPONSE_INVALID: 'unavailable',
  /** The local state is older than what the server (or a hardware counter, or the journal) has seen: a restored copy. */
  AGENT_ROLLBACK_DETECTED: 'integrity',
  /** The state file's signature, journal or outbox does not hold together. */
  AGENT_STATE_INVALID: 'integrity',
  /** A private key file is readable by other users. */
  AGENT_KEY_PERMISSIONS: 'forbidden',
  /** The agent configuration (or a command-line option) is unusable. */
  AGENT_CONFIG_INVALID: 'invalid_input',
  /** Another agent process holds the state directory. */
  AGENT_BUSY: 'conflict',
  /** No trusted issuer key is configured, so no ticket can verify. */
  AGENT_NO_ISSUER_KEYS: 'conflict',
  /** The design file is neither a Fabgate envelope nor a 3MF package. */
  AGENT_DESIGN_UNSUPPORTED: 'invalid_input',
  /** The design holds no G-code to print (or several parts and no `--part`). */
  AGENT_DESIGN_NO_GCODE: 'invalid_input',
  /** The host clock is earlier than a time this agent has already seen (clock set back). */
  AGENT_CLOCK_REGRESSED: 'conflict',
  /** Too many usage records wait for the server: the agent must report before printing again. */
  AGENT_OFFLINE_LIMIT: 'conflict',
  /** The printer host (OctoPrint, Moonraker, serial port) could not be reached. */
  AGENT_PRINTER_UNREACHABLE: 'unavailable',
  /** The printer host refused the upload, start or cancel. */
  AGENT_PRINTER_REFUSED: 'conflict',
  /** The printer answered outside its protocol (a firmware error, an unexpected resend, a malformed reply). */
  AGENT_PRINTER_PROTOCOL: 'unavailable',
  /** The G-code sent differs from the G-code checked (the two decryption passes disagree). */
  AGENT_GCODE_CHANGED: 'integrity',
  /** The hardware monotonic counter command failed. */
  AGENT_MONOTONIC_COUNTER: 'unavailable',
} as const satisfies Record<string, ErrorKind>;

export type AgentErrorCode = keyof typeof AGENT_ERRORS;

export class AgentError extends FabgateError<AgentErrorCode> {
  override readonly name = 'AgentError';
  constructor(code: AgentErrorCode, message: string, details?: unknown) {
    super(code, message, AGENT_ERRORS[code], details);
  }
}
