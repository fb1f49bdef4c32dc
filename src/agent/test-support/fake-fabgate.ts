/**
 * A loopback stand-in for the Fabgate server's device-facing endpoints, exactly
 * as README.md ("Server protocol") documents them, for the agent's tests while
 * the real routes are being built. It verifies usage records with the real
 * `verifyUsageRecord` (signature, gaps, replays, chain) and signs
 * acknowledgements with the real `signUsageAck`; it can go down and come back
 * on the same port to test store-and-forward.
 */
import { createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { keyFingerprint } from '../../designs/securecontent/keys.js';
import { FabgateError } from '../../shared/errors.js';
import { signRevocationList, type RevocationList } from '../../tickets/revocations.js';
import type { TicketIssuerKey } from '../../tickets/ticket.js';
import { GENESIS_HASH, usageRecordHash, verifyUsageRecord, type UsageRecord } from '../../tickets/usage-record.js';
import { signUsageAck } from '../../tickets/usage-ack.js';

interface Device {
  id: string;
  token: string;
  contentKey: KeyObject;
  signingKey: KeyObject;
  last: { seq: number; hash: string } | null;
  records: UsageRecord[];
  acks: string[];
}

const STATUS = { invalid_input: 400, unauthenticated: 401, forbidden: 403, not_found: 404, conflict: 409, too_large: 413, integrity: 422 } as Record<string, number>;

export class FakeFabgate {
  readonly devices = new Map<string, Device>();
  readonly tokens = new Set<string>();
  /** Every request, for assertions: method and path. */
  readonly requests: string[] = [];
  revocationJws: string | null = null;
  /** Accept the next N usage records but drop the connection instead of answering (a lost acknowledgement). */
  dropAcks = 0;
  /** Answer a replay of an accepted record with its acknowledgement again (as the real server does). */
  replayAcks = true;
  /** Sign acknowledgements with this key instead of the issuer's (a forged acknowledgement). */
  ackSigner: TicketIssuerKey | undefined;
  #server: Server | undefined;
  #sockets = new Set<Socket>();
  #port = 0;
  #nextDevice = 1;

  constructor(
    readonly issuer: TicketIssuerKey & { jwk: object },
    readonly logKey?: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** A one-time enrolment token. */
  newToken(): string {
    const t = `enrol_${randomBytes(12).toString('hex')}`;
    this.tokens.add(t);
    return t;
  }

  revoke(serial: number, jtis: string[]): void {
    const now = Math.floor(Date.now() / 1000);
    const list: RevocationList = { v: 1, iss: 'fabgate.test', serial, iat: now, next_update: now + 3600, revoked: jtis.map((jti) => ({ jti, at: now })) };
    this.revocationJws = signRevocationList(list, this.issuer);
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.#handle(req, res));
    server.on('connection', (s) => {
      this.#sockets.add(s);
      s.on('close', () => this.#sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(this.#port, '127.0.0.1', resolve));
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stop answering (connections are refused) until `start()` again. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, value: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof value === 'string' && type !== 'application/json' ? value : JSON.stringify(value));
    };
    const error = (status: number, code: string, message: string, details?: unknown) => send(status, { error: { code, message, ...(details !== undefined ? { details } : {}) } });
    try {
      if (req.method === 'POST' && url.pathname === '/api/devices/enrol') {
        const b = JSON.parse(body) as { token?: string; content_key?: string; signing_key?: string };
        if (!b.token || !this.tokens.has(b.token)) return error(403, 'DEVICE_ENROLMENT_TOKEN_INVALID', 'unknown or used enrolment token');
        this.tokens.delete(b.token);
        const contentKey = createPublicKey(b.content_key!);
        const signingKey = createPublicKey(b.signing_key!);
        const device: Device = { id: `dev_${this.#nextDevice++}`, token: `fgt_${randomBytes(16).toString('hex')}`, contentKey, signingKey, last: null, records: [], acks: [] };
        this.devices.set(device.id, device);
        return send(201, { device_id: device.id, api_token: device.token, content_key_sha256: keyFingerprint(contentKey), signing_key_sha256: keyFingerprint(signingKey) });
      }
      if (req.method === 'GET' && url.pathname === '/api/tickets/issuer-keys') return send(200, { keys: [this.issuer.jwk] });
      if (req.method === 'GET' && url.pathname === '/log/key') return this.logKey ? send(200, this.logKey, 'text/plain') : error(404, 'NOT_FOUND', 'no log');
      if (req.method === 'GET' && url.pathname === '/api/tickets/revocations') {
        return this.revocationJws ? send(200, this.revocationJws, 'application/jose') : error(404, 'NOT_FOUND', 'no revocation list yet');
      }
      if (req.method === 'POST' && url.pathname === '/api/usage-records') {
        const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
        const device = [...this.devices.values()].find((d) => d.token === token);
        if (!device) return error(401, 'AUTH_REQUIRED', 'no valid device token');
        const head = device.last ?? { seq: 0, hash: GENESIS_HASH };
        try {
          const accepted = verifyUsageRecord(JSON.parse(body), device.signingKey, device.last);
          if (accepted.record.device !== device.id) return error(422, 'USAGE_RECORD_INVALID', 'the record names another device', { head });
          device.last = { seq: accepted.record.seq, hash: accepted.hash };
          device.records.push(accepted.record);
          const ack = signUsageAck({ v: 1, device: device.id, seq: accepted.record.seq, hash: accepted.hash, received_at: Math.floor(Date.now() / 1000) }, this.ackSigner ?? this.issuer);
          device.acks.push(ack);
          if (this.dropAcks > 0) {
            this.dropAcks--;
            req.socket.destroy();
            return;
          }
          return send(201, { acknowledgement: ack });
        } catch (e) {
          if (e instanceof FabgateError) {
            // A replay of the very record accepted carries its acknowledgement again.
            const sent = (JSON.parse(body) as { record?: UsageRecord }).record;
            const held = sent && device.records[sent.seq - 1];
            const again = this.replayAcks && e.code === 'USAGE_RECORD_REPLAYED' && held && usageRecordHash(held) === usageRecordHash(sent) ? { acknowledgement: device.acks[sent.seq - 1] } : {};
            return error(STATUS[e.kind] ?? 422, e.code, e.message, { head, ...again });
          }
          throw e;
        }
      }
      error(404, 'NOT_FOUND', `${req.method} ${url.pathname}`);
    } catch (e) {
      error(400, 'REQUEST_INVALID', (e as Error).message);
    }
  }
}
