/**
 * The agent's side of the Fabgate server protocol. Four calls, each a plain
 * HTTPS request (README.md, "Server protocol", documents the bodies):
 *
 *   POST /api/devices/enrol         one-time token + public keys → device id + API token
 *   POST /api/usage-records         (bearer) a signed usage record → a signed acknowledgement
 *   GET  /api/tickets/revocations   the signed revocation list (TICKET-FORMAT.md §5)
 *   GET  /api/tickets/issuer-keys   issuer public keys as a JWK set (TICKET-FORMAT.md §2)
 *   GET  /log/key                   the transparency log's verifier key
 */
import type { SignedUsageRecord } from '../tickets/usage-record.js';
import { TicketError } from '../tickets/errors.js';
import { AgentError } from './errors.js';
import { httpCall, type HttpResponse } from './http.js';

export interface EnrolRequest {
  /** The one-time enrolment token an administrator created for this device. */
  token: string;
  /** RSA-OAEP public key, SPKI PEM. */
  content_key: string;
  /** Ed25519 public key, SPKI PEM. */
  signing_key: string;
  /** A name for the device (its host name by default). */
  name?: string;
}

export interface Enrolment {
  device_id: string;
  api_token: string;
  /** The fingerprints the server registered, when it says. */
  content_key_sha256?: string;
  signing_key_sha256?: string;
}

export type UsageSubmission =
  | { accepted: true; acknowledgement: string }
  /**
   * The server refused the record; `head` is its last accepted record when it
   * says, and `acknowledgement` that record's signed acknowledgement again when
   * the refused record is a replay of one it accepted (a retry after a lost reply).
   */
  | { accepted: false; status: number; code: string; message: string; head?: { seq: number; hash: string }; acknowledgement?: string };

export interface IssuerJwk {
  kid: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
}

export interface ClientOptions {
  /** The device's API token (bearer). */
  token?: string;
  /** Extra CA certificates (PEM) for a server with a private CA. */
  ca?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class FabgateClient {
  readonly #base: URL;

  constructor(
    base: string,
    private readonly options: ClientOptions = {},
  ) {
    this.#base = new URL(base.endsWith('/') ? base : `${base}/`);
  }

  #url(path: string): URL {
    return new URL(path.replace(/^\//, ''), this.#base);
  }

  async #call(method: string, path: string, body?: unknown, maxResponseBytes?: number): Promise<HttpResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return httpCall(this.#url(path), {
      method,
      headers: {
        accept: 'application/json',
        ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
      },
      ...(payload !== undefined ? { body: payload } : {}),
      timeoutMs: this.options.timeoutMs ?? 30_000,
      ...(maxResponseBytes ? { maxResponseBytes } : {}),
      ...(this.options.ca ? { ca: this.options.ca } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      unreachable: 'AGENT_SERVER_UNREACHABLE',
      invalid: 'AGENT_SERVER_RESPONSE_INVALID',
    });
  }

  async enrol(request: EnrolRequest): Promise<Enrolment> {
    const res = await this.#call('POST', '/api/devices/enrol', request);
    if (res.status >= 400 && res.status < 500) {
      const error = errorOf(res);
      throw new AgentError('AGENT_ENROLMENT_REFUSED', `the server refused the enrolment: ${error.code} ${error.message}`, { status: res.status, ...error });
    }
    expectOk(res, 'enrolment');
    const body = res.json() as Record<string, unknown> | undefined;
    const device = body?.device as Record<string, unknown> | undefined;
    const deviceId = body?.device_id ?? device?.id;
    const apiToken = body?.api_token ?? body?.token;
    if (typeof deviceId !== 'string' || typeof apiToken !== 'string' || deviceId.length === 0 || apiToken.length === 0) {
      throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', 'the enrolment response has no device_id and api_token');
    }
    const fp = (v: unknown) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? v : undefined);
    const contentFp = fp(body?.content_key_sha256 ?? device?.content_key_sha256);
    const signingFp = fp(body?.signing_key_sha256 ?? device?.signing_key_sha256);
    return { device_id: deviceId, api_token: apiToken, ...(contentFp ? { content_key_sha256: contentFp } : {}), ...(signingFp ? { signing_key_sha256: signingFp } : {}) };
  }

  /** Send one signed usage record. A refusal is an answer, not an exception: flush.ts reasons about it. */
  async sendUsageRecord(signed: SignedUsageRecord): Promise<UsageSubmission> {
    const res = await this.#call('POST', '/api/usage-records', signed);
    if (res.status === 401 || res.status === 403) {
      throw new AgentError('AGENT_ENROLMENT_REFUSED', `the server no longer accepts this device's token (HTTP ${res.status})`, errorOf(res));
    }
    if (res.status === 200 || res.status === 201) {
      const body = res.json() as { acknowledgement?: unknown } | undefined;
      if (typeof body?.acknowledgement !== 'string') throw new TicketError('USAGE_ACK_INVALID', 'the server accepted the record without a signed acknowledgement');
      return { accepted: true, acknowledgement: body.acknowledgement };
    }
    if (res.status >= 400 && res.status < 500) {
      const error = errorOf(res);
      const head = headOf(error.details);
      const again = (error.details as { acknowledgement?: unknown } | undefined)?.acknowledgement;
      return { accepted: false, status: res.status, code: error.code, message: error.message, ...(head ? { head } : {}), ...(typeof again === 'string' ? { acknowledgement: again } : {}) };
    }
    throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', `the server answered HTTP ${res.status} to a usage record`, { status: res.status });
  }

  /** The current signed revocation list, or null when the server has none yet. */
  async revocations(): Promise<string | null> {
    const res = await this.#call('GET', '/api/tickets/revocations', undefined, 32 * 1024 * 1024);
    if (res.status === 404) return null;
    expectOk(res, 'revocation list');
    const json = res.json();
    if (typeof json === 'string') return json;
    if (json && typeof json === 'object') {
      const o = json as Record<string, unknown>;
      const jws = o.revocations ?? o.list ?? o.jws;
      if (typeof jws === 'string') return jws;
      throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', 'the revocation list response holds no JWS');
    }
    return res.body.toString('utf8').trim(); // application/jose: the compact JWS itself
  }

  async issuerKeys(): Promise<IssuerJwk[]> {
    const res = await this.#call('GET', '/api/tickets/issuer-keys');
    expectOk(res, 'issuer keys');
    const keys = (res.json() as { keys?: unknown } | undefined)?.keys;
    if (!Array.isArray(keys)) throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', 'the issuer keys response is not a JWK set');
    return keys.flatMap((k: unknown) => {
      const o = k as Record<string, unknown>;
      return o && o.kty === 'OKP' && o.crv === 'Ed25519' && typeof o.x === 'string' && typeof o.kid === 'string' ? [{ kid: o.kid, jwk: { kty: 'OKP' as const, crv: 'Ed25519' as const, x: o.x } }] : [];
    });
  }

  async logKey(): Promise<string> {
    const res = await this.#call('GET', '/log/key');
    expectOk(res, 'log key');
    return res.body.toString('utf8').trim();
  }
}

function expectOk(res: HttpResponse, what: string): void {
  if (res.status !== 200 && res.status !== 201) throw new AgentError('AGENT_SERVER_RESPONSE_INVALID', `the server answered HTTP ${res.status} for the ${what}`, { status: res.status, ...errorOf(res) });
}

/** The server's error body: `{"error": {"code", "message", "details"}}`. */
function errorOf(res: HttpResponse): { code: string; message: string; details?: unknown } {
  const error = (res.json() as { error?: Record<string, unknown> } | undefined)?.error;
  return {
    code: typeof error?.code === 'string' ? error.code : `HTTP_${res.status}`,
    message: typeof error?.message === 'string' ? error.message : '',
    ...(error?.details !== undefined ? { details: error.details } : {}),
  };
}

/** The server's last accepted record, from a refusal's details (`{"head": {"seq", "hash"}}`). */
function headOf(details: unknown): { seq: number; hash: string } | undefined {
  const head = (details as { head?: { seq?: unknown; hash?: unknown } } | undefined)?.head;
  if (head && Number.isInteger(head.seq) && typeof head.hash === 'string' && /^[0-9a-f]{64}$/.test(head.hash)) return { seq: head.seq as number, hash: head.hash };
  return undefined;
}
