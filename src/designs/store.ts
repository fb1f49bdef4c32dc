/**
 * Designs in the database: the vault key, stored designs (protected bytes
 * only) and their releases. Every function takes a Kysely handle (the
 * database or the caller's transaction); callers scope by organisation.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Tables } from '../db/tables.js';
import type { Clock } from '../shared/clock.js';
import { FabgateError } from '../shared/errors.js';
import type { KeyWrapper } from '../shared/keywrap.js';
import { keyFingerprint } from './securecontent/index.js';
import { newVaultKeyPair, type DesignFormat } from './service.js';
import type { DesignReleaseRow, DesignRow } from './tables.js';

type Db = Kysely<Tables>;
const VAULT_PURPOSE = 'designs-vault-key';
const CURRENT = 'current';

export interface VaultKey {
  id: string;
  publicKey: KeyObject;
}

/**
 * The current vault key, generated at first use (outside a transaction: two
 * processes racing meet the unique `current` column; the loser reads the
 * winner's key).
 */
export async function ensureVaultKey(db: Db, keys: KeyWrapper, clock: Clock): Promise<VaultKey> {
  const row = await db.selectFrom('design_vault_keys').select(['id', 'public_key']).where('current', '=', CURRENT).executeTakeFirst();
  if (row) return { id: row.id, publicKey: createPublicKey(row.public_key) };
  const pair = await newVaultKeyPair();
  const der = pair.privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    await db
      .insertInto('design_vault_keys')
      .values({
        id: keyFingerprint(pair.publicKey),
        public_key: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        wrapped_private_key: keys.wrap(der, VAULT_PURPOSE),
        current: CURRENT,
        created_at: clock.now().toISOString(),
        retired_at: null,
      })
      .execute();
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
  } finally {
    der.fill(0);
  }
  return ensureVaultKey(db, keys, clock);
}

/** The private half of a vault key, unwrapped for one use. */
export async function vaultPrivateKey(db: Db, keys: KeyWrapper, id: string): Promise<KeyObject> {
  const row = await db.selectFrom('design_vault_keys').select('wrapped_private_key').where('id', '=', id).executeTakeFirst();
  if (!row) throw new FabgateError('DESIGN_VAULT_KEY_MISSING', `vault key ${id} is gone`, 'internal');
  const der = keys.unwrap(row.wrapped_private_key, VAULT_PURPOSE);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

export interface DesignView {
  id: string;
  organisation_id: string;
  name: string;
  filename: string;
  format: DesignFormat;
  content_type: string;
  plain_size: number;
  plain_sha256: string;
  stored_size: number;
  stored_sha256: string;
  item: { id: string; name: string | null; kind: string | null; classification: { id: string; status: string; controlled_by: string[]; classified_at: string } | null; missing: boolean } | null;
  protection: unknown;
  created_at: string;
  created_by: string;
}

export interface ReleaseView {
  id: string;
  design_id: string;
  licence_id: string;
  manifest_sha256: string;
  devices: Array<{ id: string; content_key_sha256: string; signing_key_sha256: string }>;
  size: number;
  created_at: string;
}

const designColumns = [
  'id',
  'organisation_id',
  'name',
  'filename',
  'format',
  'content_type',
  'plain_size',
  'plain_sha256',
  'item_id',
  'stored_size',
  'stored_sha256',
  'vault_key_id',
  'protection',
  'created_at',
  'created_by',
] as const;

type DesignMeta = Omit<DesignRow, 'content'>;

export function designNotFound(id: string): FabgateError {
  return new FabgateError('DESIGN_NOT_FOUND', `no design '${id}'`, 'not_found');
}

export async function insertDesign(db: Db, row: DesignRow): Promise<void> {
  await db.insertInto('designs').values(row).execute();
}

/** A design's metadata, when it belongs to the organisation (else DESIGN_NOT_FOUND). */
export async function loadDesign(db: Db, id: string, organisationId: string | null): Promise<DesignMeta> {
  let q = db.selectFrom('designs').select(designColumns).where('id', '=', id);
  if (organisationId) q = q.where('organisation_id', '=', organisationId);
  const row = await q.executeTakeFirst();
  if (!row) throw designNotFound(id);
  return { ...row, plain_size: Number(row.plain_size), stored_size: Number(row.stored_size) };
}

export async function storedContent(db: Db, id: string): Promise<Buffer> {
  const row = await db.selectFrom('designs').select('content').where('id', '=', id).executeTakeFirstOrThrow();
  return Buffer.from(row.content);
}

/** The register item a design is linked to, with its latest recorded classification. */
async function itemLink(db: Db, d: DesignMeta): Promise<DesignView['item']> {
  if (!d.item_id) return null;
  const item = await db.selectFrom('classification_items').select(['id', 'name', 'kind']).where('id', '=', d.item_id).where('organisation_id', '=', d.organisation_id).executeTakeFirst();
  const cls = await db
    .selectFrom('classification_records')
    .select(['id', 'status', 'controlled_by', 'classified_at'])
    .where('item_id', '=', d.item_id)
    .where('organisation_id', '=', d.organisation_id)
    .orderBy('seq', 'desc')
    .executeTakeFirst();
  return {
    id: d.item_id,
    name: item?.name ?? null,
    kind: item?.kind ?? null,
    classification: cls ? { id: cls.id, status: cls.status, controlled_by: JSON.parse(cls.controlled_by) as string[], classified_at: cls.classified_at } : null,
    missing: !item,
  };
}

export async function designView(db: Db, d: DesignMeta): Promise<DesignView> {
  return {
    id: d.id,
    organisation_id: d.organisation_id,
    name: d.name,
    filename: d.filename,
    format: d.format as DesignFormat,
    content_type: d.content_type,
    plain_size: Number(d.plain_size),
    plain_sha256: d.plain_sha256,
    stored_size: Number(d.stored_size),
    stored_sha256: d.stored_sha256,
    item: await itemLink(db, d),
    protection: JSON.parse(d.protection) as unknown,
    created_at: d.created_at,
    created_by: d.created_by,
  };
}

export async function listDesigns(db: Db, organisationId: string): Promise<DesignView[]> {
  const rows = await db.selectFrom('designs').select(designColumns).where('organisation_id', '=', organisationId).orderBy('created_at', 'desc').execute();
  return Promise.all(rows.map((r) => designView(db, { ...r, plain_size: Number(r.plain_size), stored_size: Number(r.stored_size) })));
}

/** Link a design to a register item of the same organisation, or unlink it (null). */
export async function linkItem(db: Db, d: DesignMeta, itemId: string | null): Promise<void> {
  if (itemId) {
    const item = await db.selectFrom('classification_items').select('id').where('id', '=', itemId).where('organisation_id', '=', d.organisation_id).executeTakeFirst();
    if (!item) throw new FabgateError('DESIGN_ITEM_NOT_FOUND', `no item '${itemId}' in your register`, 'not_found');
  }
  await db.updateTable('designs').set({ item_id: itemId }).where('id', '=', d.id).execute();
}

export async function renameDesign(db: Db, d: DesignMeta, name: string): Promise<void> {
  await db.updateTable('designs').set({ name }).where('id', '=', d.id).execute();
}

/* ------------------------------------------------------------- releases */

export function releaseView(r: Omit<DesignReleaseRow, 'content'>): ReleaseView {
  return {
    id: r.id,
    design_id: r.design_id,
    licence_id: r.licence_id,
    manifest_sha256: r.manifest_sha256,
    devices: JSON.parse(r.recipients) as ReleaseView['devices'],
    size: Number(r.size),
    created_at: r.created_at,
  };
}

const releaseColumns = ['id', 'design_id', 'organisation_id', 'licence_id', 'manifest_sha256', 'recipients_key', 'recipients', 'size', 'created_at', 'created_by'] as const;

export async function findRelease(db: Db, designId: string, recipientsKey: string): Promise<Omit<DesignReleaseRow, 'content'> | undefined> {
  return db.selectFrom('design_releases').select(releaseColumns).where('design_id', '=', designId).where('recipients_key', '=', recipientsKey).executeTakeFirst();
}

/**
 * Store a release with its device links, in the caller's transaction. A
 * concurrent request for the same device set meets the unique (design,
 * recipients) index and fails with a unique violation; the caller then reads
 * the release that won.
 */
export async function insertRelease(db: Db, row: DesignReleaseRow): Promise<void> {
  await db.insertInto('design_releases').values(row).execute();
  const devices = JSON.parse(row.recipients) as Array<{ id: string }>;
  await db.insertInto('design_release_devices').values(devices.map((d) => ({ release_id: row.id, device_id: d.id }))).execute();
}

export async function releasesOf(db: Db, designId: string): Promise<ReleaseView[]> {
  const rows = await db.selectFrom('design_releases').select(releaseColumns).where('design_id', '=', designId).orderBy('created_at', 'desc').execute();
  return rows.map(releaseView);
}

export async function loadRelease(db: Db, id: string): Promise<Omit<DesignReleaseRow, 'content'> | undefined> {
  return db.selectFrom('design_releases').select(releaseColumns).where('id', '=', id).executeTakeFirst();
}

/** The newest release of a design wrapped to a device. */
export async function latestReleaseFor(db: Db, designId: string, deviceId: string): Promise<Omit<DesignReleaseRow, 'content'> | undefined> {
  return db
    .selectFrom('design_releases as r')
    .innerJoin('design_release_devices as d', 'd.release_id', 'r.id')
    .select(releaseColumns.map((c) => `r.${c}` as const))
    .where('r.design_id', '=', designId)
    .where('d.device_id', '=', deviceId)
    .orderBy('r.created_at', 'desc')
    .orderBy('r.id', 'desc')
    .executeTakeFirst();
}

export async function releaseContent(db: Db, id: string): Promise<Buffer> {
  const row = await db.selectFrom('design_releases').select('content').where('id', '=', id).executeTakeFirstOrThrow();
  return Buffer.from(row.content);
}

/** Designs that have a release wrapped to the device (what a device token may list). */
export async function designsReleasedTo(db: Db, deviceId: string): Promise<DesignView[]> {
  const ids = await db
    .selectFrom('design_releases as r')
    .innerJoin('design_release_devices as d', 'd.release_id', 'r.id')
    .select('r.design_id')
    .where('d.device_id', '=', deviceId)
    .distinct()
    .execute();
  const out: DesignView[] = [];
  for (const { design_id } of ids) out.push(await designView(db, await loadDesign(db, design_id, null)));
  return out.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

/** Whether a release is wrapped to the device. */
export async function releaseIncludes(db: Db, releaseId: string, deviceId: string): Promise<boolean> {
  return !!(await db.selectFrom('design_release_devices').select('release_id').where('release_id', '=', releaseId).where('device_id', '=', deviceId).executeTakeFirst());
}
