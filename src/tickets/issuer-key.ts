/**
 * The ticket issuer key: Ed25519, generated at first use, its private half
 * stored only wrapped under the key-encryption key (purpose
 * `ticket-issuer-key`, so nothing wrapped for another use unwraps as this),
 * rotatable, and published with every earlier key as a JWK set so tickets
 * signed before a rotation stay verifiable. The same key signs the manifests
 * of released designs, revocation lists and usage acknowledgements: a print
 * host trusts one key set (each message type has its own JWS `typ` or
 * signature context, so no signature is valid as another kind of message).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import { keyFingerprint } from '../designs/securecontent/index.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import type { KeyWrapper } from '../shared/keywrap.js';
import type { TicketIssuerKey, TrustedIssuer } from './ticket.js';

const PURPOSE = 'ticket-issuer-key';
const CURRENT = 'current';

type Db = Kysely<Tables>;

export interface IssuerSigner extends TicketIssuerKey {
  publicKey: KeyObject;
}

export interface IssuerJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  use: 'sig';
  alg: 'EdDSA';
  /** Fabgate: when the key stopped signing (absent for the current key). */
  retired_at?: string;
}

function newKeyRow(keys: KeyWrapper, clock: Clock) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const row = {
    kid: keyFingerprint(publicKey),
    public_key: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    wrapped_private_key: keys.wrap(der, PURPOSE),
    current: CURRENT,
    created_at: clock.now().toISOString(),
    retired_at: null,
  };
  der.fill(0);
  return row;
}

function signerOf(row: { kid: string; public_key: string; wrapped_private_key: string }, keys: KeyWrapper): IssuerSigner {
  const der = keys.unwrap(row.wrapped_private_key, PURPOSE);
  try {
    return { kid: row.kid, privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }), publicKey: createPublicKey(row.public_key) };
  } finally {
    der.fill(0);
  }
}

/** The current issuer key if there is one. */
export async function currentIssuer(db: Db, keys: KeyWrapper): Promise<IssuerSigner | undefined> {
  const row = await db.selectFrom('ticket_issuer_keys').selectAll().where('current', '=', CURRENT).executeTakeFirst();
  return row ? signerOf(row, keys) : undefined;
}

/**
 * The current issuer key, generated at first use. Call it outside a
 * transaction: two processes creating the first key at once meet the unique
 * `current` column, and the loser reads the winner's key.
 */
export async function ensureIssuerKey(db: Db, keys: KeyWrapper, clock: Clock): Promise<IssuerSigner> {
  const existing = await currentIssuer(db, keys);
  if (existing) return existing;
  try {
    await db.insertInto('ticket_issuer_keys').values(newKeyRow(keys, clock)).execute();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  }
  const now = await currentIssuer(db, keys);
  if (!now) throw new FabgateError('TICKET_ISSUER_KEY_MISSING', 'no current ticket issuer key', 'internal');
  return now;
}

/** The current key inside a transaction (ensureIssuerKey made sure there is one). */
export async function requireIssuer(db: Db, keys: KeyWrapper): Promise<IssuerSigner> {
  const s = await currentIssuer(db, keys);
  if (!s) throw new FabgateError('TICKET_ISSUER_KEY_MISSING', 'no current ticket issuer key', 'internal');
  return s;
}

/** Retire the current key and make a new one, in one transaction. Tickets signed before stay verifiable with the old key. */
export async function rotateIssuerKey(db: Db, keys: KeyWrapper, clock: Clock): Promise<{ retired: string[]; kid: string }> {
  return db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('ticket_issuer_keys').select('kid').where('current', '=', CURRENT).execute();
    await trx.updateTable('ticket_issuer_keys').set({ current: null, retired_at: clock.now().toISOString() }).where('current', '=', CURRENT).execute();
    const row = newKeyRow(keys, clock);
    await trx.insertInto('ticket_issuer_keys').values(row).execute();
    return { retired: old.map((r) => r.kid), kid: row.kid };
  });
}

/** Every issuer key as a JWK set (RFC 7517 §5), the current key first. */
export async function issuerJwks(db: Db): Promise<{ keys: IssuerJwk[] }> {
  const rows = await db.selectFrom('ticket_issuer_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid').execute();
  rows.sort((a, b) => (a.current === CURRENT ? -1 : b.current === CURRENT ? 1 : 0));
  return {
    keys: rows.map((r) => {
      const jwk = createPublicKey(r.public_key).export({ format: 'jwk' }) as { x: string };
      return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: r.kid, use: 'sig', alg: 'EdDSA', ...(r.retired_at ? { retired_at: r.retired_at } : {}) };
    }),
  };
}

/** Every issuer key as a verifier trusts it. */
export async function trustedIssuers(db: Db): Promise<TrustedIssuer[]> {
  const rows = await db.selectFrom('ticket_issuer_keys').select(['kid', 'public_key']).execute();
  return rows.map((r) => ({ kid: r.kid, publicKey: createPublicKey(r.public_key) }));
}
