import type { Kysely } from 'kysely';
import type { Tables } from '../db/tables.js';
import type { Clock } from '../shared/clock.js';
import type { KeyWrapper } from '../shared/keywrap.js';
import { keyIdHex } from './core/key-id.js';
import { Ed25519NoteSigner, formatVerifierKey, parseVerifierKey } from './core/keys.js';
import { newEd25519Seed } from './core/ed25519.js';
import { SIGNATURE_TYPE } from './core/key-id.js';
import type { NoteVerifier } from './core/key-id.js';

/** KEK purpose of the log signing key: a key wrapped for anything else cannot be unwrapped as this. */
const PURPOSE = 'ledger-signing-key';

/** Make a new log key named `name`, store it wrapped, and return its signer. */
async function createKey(db: Kysely<Tables>, keys: KeyWrapper, clock: Clock, name: string): Promise<Ed25519NoteSigner> {
  const seed = newEd25519Seed();
  const signer = new Ed25519NoteSigner(name, seed);
  await db
    .insertInto('ledger_keys')
    .values({
      key_id: keyIdHex(signer.keyId),
      name,
      verifier_key: formatVerifierKey({ name, keyId: signer.keyId, type: SIGNATURE_TYPE.ed25519, publicKey: signer.publicKey }),
      wrapped_seed: keys.wrap(seed, PURPOSE),
      created_at: clock.now().toISOString(),
      retired_at: null,
    })
    .execute();
  seed.fill(0);
  return signer;
}

/** The current log signing key, generated at first use. */
export async function currentSigner(db: Kysely<Tables>, keys: KeyWrapper, clock: Clock, name: string): Promise<Ed25519NoteSigner> {
  const row = await db.selectFrom('ledger_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirst();
  if (!row) return createKey(db, keys, clock, name);
  const seed = keys.unwrap(row.wrapped_seed, PURPOSE);
  try {
    return new Ed25519NoteSigner(row.name, seed);
  } finally {
    seed.fill(0);
  }
}

/** Retire the current key and make a new one; checkpoints signed by the old key stay verifiable with it. */
export async function rotateSigner(db: Kysely<Tables>, keys: KeyWrapper, clock: Clock, name: string): Promise<{ retired: string[]; current: Ed25519NoteSigner }> {
  const active = await db.selectFrom('ledger_keys').select('key_id').where('retired_at', 'is', null).execute();
  await db.updateTable('ledger_keys').set({ retired_at: clock.now().toISOString() }).where('retired_at', 'is', null).execute();
  const current = await createKey(db, keys, clock, name);
  return { retired: active.map((r) => r.key_id), current };
}

/** Every key the log has signed with (current first), for verifying any of its checkpoints. */
export async function allVerifierKeys(db: Kysely<Tables>): Promise<Array<{ keyId: string; verifierKey: string; retiredAt: string | null; verifier: NoteVerifier }>> {
  const rows = await db.selectFrom('ledger_keys').selectAll().orderBy('created_at', 'desc').execute();
  return rows.map((r) => ({ keyId: r.key_id, verifierKey: r.verifier_key, retiredAt: r.retired_at, verifier: parseVerifierKey(r.verifier_key) }));
}
