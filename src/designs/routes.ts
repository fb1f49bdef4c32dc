/**
 * Design routes: upload (protected at once for the vault; hostile archives
 * refused with the securecontent codes), the register, the classification
 * link, releases to devices named under a licence, and the package download —
 * for the exporter, or for a device its own release.
 */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requireDevice, deviceOfPrincipal } from '../devices/store.js';
import type { AppEnv } from '../http/env.js';
import { defineRoute, principalOf, transact } from '../http/route.js';
import { FabgateError } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { ensureIssuerKey } from '../tickets/issuer-key.js';
import { callerOf, releaseForDevice, releaseForDevices } from '../tickets/service.js';
import { protectUpload, uploadArchiveLimits } from './service.js';
import {
  designNotFound,
  designsReleasedTo,
  designView,
  ensureVaultKey,
  insertDesign,
  linkItem,
  listDesigns,
  loadDesign,
  releaseContent,
  releasesOf,
  renameDesign,
} from './store.js';

const TAGS = ['designs'];
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { 'application/json': { schema } }, required: true } });
const idParam = z.object({ id: z.string().min(1).max(64) });

const DesignSchema = z
  .object({
    id: z.string(),
    organisation_id: z.string(),
    name: z.string(),
    filename: z.string(),
    format: z.enum(['3mf', 'gcode', 'bgcode', 'stl']),
    content_type: z.string(),
    plain_size: z.number().int(),
    plain_sha256: z.string().openapi({ description: 'SHA-256 of the uploaded plain file (the server keeps only the protected copy)' }),
    stored_size: z.number().int(),
    stored_sha256: z.string().openapi({ description: 'Manifest hash (3MF) or envelope hash of the protected copy at rest' }),
    item: z
      .object({
        id: z.string(),
        name: z.string().nullable(),
        kind: z.string().nullable(),
        classification: z.object({ id: z.string(), status: z.string(), controlled_by: z.array(z.string()), classified_at: z.string() }).nullable(),
        missing: z.boolean(),
      })
      .nullable()
      .openapi({ description: 'The classification register item the design is linked to, with its latest recorded classification' }),
    protection: z.unknown(),
    created_at: z.string(),
    created_by: z.string(),
  })
  .openapi('Design');
const ReleaseSchema = z
  .object({
    id: z.string(),
    design_id: z.string(),
    licence_id: z.string(),
    manifest_sha256: z.string().openapi({ description: 'What print tickets for these devices bind to' }),
    devices: z.array(z.object({ id: z.string(), content_key_sha256: z.string(), signing_key_sha256: z.string() })),
    size: z.number().int(),
    created_at: z.string(),
  })
  .openapi('DesignRelease');

const routes = {
  upload: defineRoute({
    method: 'post',
    path: '/api/designs',
    access: 'designs:write',
    tags: TAGS,
    summary: 'Upload a design (3MF, G-code, binary G-code or STL, up to the upload limit); it is protected at once and never stored in the clear',
    request: {
      body: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: z.object({
              file: z.any().openapi({ type: 'string', format: 'binary' }),
              name: z.string().max(200).optional(),
              item_id: z.string().max(64).optional().openapi({ description: 'A classification register item to link' }),
            }),
          },
        },
      },
    },
    responses: { 201: json(DesignSchema, 'Stored, protected'), 422: json(z.object({}), 'A hostile or broken archive (DESIGN_ARCHIVE_*, DESIGN_XML_*)') },
  }),
  list: defineRoute({
    method: 'get',
    path: '/api/designs',
    access: 'designs:read',
    tags: TAGS,
    summary: "The organisation's designs (for a device: the designs released to it)",
    responses: { 200: json(z.object({ designs: z.array(DesignSchema) }), 'Designs') },
  }),
  get: defineRoute({
    method: 'get',
    path: '/api/designs/{id}',
    access: 'designs:read',
    tags: TAGS,
    summary: 'A design with its releases',
    request: { params: idParam },
    responses: { 200: json(z.object({ design: DesignSchema, releases: z.array(ReleaseSchema) }), 'The design') },
  }),
  update: defineRoute({
    method: 'patch',
    path: '/api/designs/{id}',
    access: 'designs:write',
    tags: TAGS,
    summary: 'Rename a design or change its classification link (item_id null unlinks)',
    request: { params: idParam, ...body(z.strictObject({ name: z.string().trim().min(1).max(200).optional(), item_id: z.string().max(64).nullable().optional() })) },
    responses: { 200: json(DesignSchema, 'Updated') },
  }),
  release: defineRoute({
    method: 'post',
    path: '/api/designs/{id}/releases',
    access: 'designs:write',
    tags: TAGS,
    summary: 'Protect the design for devices named under a licence in force (re-wrapped to their current keys; an existing release for the same keys is reused)',
    request: { params: idParam, ...body(z.strictObject({ licence_id: z.string().min(1).max(64), device_ids: z.array(z.string().min(1).max(64)).min(1).max(64) })) },
    responses: { 200: json(z.object({ release: ReleaseSchema, created: z.boolean() }), 'The release') },
  }),
  package: defineRoute({
    method: 'get',
    path: '/api/designs/{id}/package',
    access: 'designs:read',
    tags: TAGS,
    summary: 'Download the design as released to a device: a Secure Content 3MF or a detached envelope, wrapped to that device only (a device token gets its own)',
    request: {
      params: idParam,
      query: z.object({
        device: z.string().max(64).optional().openapi({ description: 'The device (required for the exporter; a device token gets its own)' }),
        release: z.string().max(64).optional().openapi({ description: 'A particular release (default: the newest wrapped to the device)' }),
      }),
    },
    responses: { 200: { description: 'The protected package; X-Fabgate-Manifest-Sha256 names what tickets bind to', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } } },
  }),
};

function safeName(name: string): string {
  const base = name.split(/[/\\]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|:*?]/g, '_').trim().slice(0, 200);
  return clean && clean !== '.' && clean !== '..' ? clean : 'design';
}

async function viewerDevice(c: Context<AppEnv>) {
  return deviceOfPrincipal(c.get('services').database.db, principalOf(c));
}

export function designRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(routes.upload, async (c) => {
    const p = principalOf(c);
    const services = c.get('services');
    const form = c.req.valid('form') as { file?: unknown; name?: string; item_id?: string };
    const file = form.file;
    if (!(file instanceof File)) throw new FabgateError('DESIGN_FILE_MISSING', 'send the design in the multipart field "file"', 'invalid_input');
    if (file.size === 0) throw new FabgateError('DESIGN_FILE_EMPTY', 'the file is empty', 'invalid_input');
    if (file.size > services.config.uploadLimit) throw new FabgateError('REQUEST_TOO_LARGE', `designs are limited to ${services.config.uploadLimit} bytes`, 'too_large', { limit: services.config.uploadLimit });
    const bytes = Buffer.from(await file.arrayBuffer());
    const db = services.database.db;
    const [vault, issuer] = await Promise.all([ensureVaultKey(db, services.keys, services.clock), ensureIssuerKey(db, services.keys, services.clock)]);
    const filename = safeName(file.name || 'design');
    const protectedUpload = await protectUpload(bytes, { filename, vault, signingKey: issuer.privateKey, limits: uploadArchiveLimits() });
    bytes.fill(0);
    const design = await transact(c, async (trx, audit) => {
      const row = {
        id: newId('dsn'),
        organisation_id: p.organisationId,
        name: form.name?.trim() || filename.replace(/\.[^.]+$/, '') || filename,
        filename,
        format: protectedUpload.format,
        content_type: protectedUpload.contentType,
        plain_size: protectedUpload.plainSize,
        plain_sha256: protectedUpload.plainSha256,
        item_id: null,
        content: protectedUpload.stored,
        stored_size: protectedUpload.stored.length,
        stored_sha256: protectedUpload.storedSha256,
        vault_key_id: vault.id,
        protection: JSON.stringify(protectedUpload.protection),
        created_at: services.clock.now().toISOString(),
        created_by: `${p.type}:${p.id}`,
      };
      await insertDesign(trx, row);
      const meta = await loadDesign(trx, row.id, p.organisationId);
      if (form.item_id) await linkItem(trx, meta, form.item_id);
      await audit('designs.uploaded', 'design', row.id);
      return designView(trx, await loadDesign(trx, row.id, p.organisationId));
    });
    return c.json(design, 201);
  });

  app.openapi(routes.list, async (c) => {
    const p = principalOf(c);
    const db = c.get('services').database.db;
    const device = await viewerDevice(c);
    return c.json({ designs: device ? await designsReleasedTo(db, device.id) : await listDesigns(db, p.organisationId) }, 200);
  });

  app.openapi(routes.get, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.get('services').database.db;
    const device = await viewerDevice(c);
    if (device) {
      const releases = (await releasesOf(db, id)).filter((r) => r.devices.some((d) => d.id === device.id));
      if (releases.length === 0) throw designNotFound(id);
      return c.json({ design: await designView(db, await loadDesign(db, id, null)), releases }, 200);
    }
    const d = await loadDesign(db, id, p.organisationId);
    return c.json({ design: await designView(db, d), releases: await releasesOf(db, d.id) }, 200);
  });

  app.openapi(routes.update, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const view = await transact(c, async (trx, audit) => {
      const d = await loadDesign(trx, id, p.organisationId);
      if (input.name !== undefined) await renameDesign(trx, d, input.name);
      if (input.item_id !== undefined) await linkItem(trx, d, input.item_id);
      await audit('designs.updated', 'design', d.id);
      return designView(trx, await loadDesign(trx, id, p.organisationId));
    });
    return c.json(view, 200);
  });

  app.openapi(routes.release, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const input = c.req.valid('json');
    const r = await releaseForDevices(c.get('services'), callerOf(p), { designId: id, licenceId: input.licence_id, deviceIds: input.device_ids }, (work) => transact(c, work));
    return c.json(r, 200);
  });

  app.openapi(routes.package, async (c) => {
    const p = principalOf(c);
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const db = c.get('services').database.db;
    let deviceId: string;
    let design;
    if (await viewerDevice(c)) {
      const device = await requireDevice(db, p);
      if (query.device && query.device !== device.id) throw new FabgateError('DESIGN_RELEASE_NOT_FOUND', 'a device downloads only its own releases', 'not_found');
      deviceId = device.id;
      design = await loadDesign(db, id, null);
    } else {
      if (!query.device) throw new FabgateError('DESIGN_DEVICE_REQUIRED', 'say which device the package is for (?device=)', 'invalid_input');
      deviceId = query.device;
      design = await loadDesign(db, id, p.organisationId);
    }
    const release = await releaseForDevice(db, design.id, deviceId, query.release);
    const content = await releaseContent(db, release.id);
    const filename = design.format === '3mf' ? `${safeName(design.name)}.3mf` : `${safeName(design.filename)}.fgenv`;
    return c.body(content as Uint8Array<ArrayBuffer>, 200, {
      'content-type': design.format === '3mf' ? 'application/vnd.ms-package.3dmanufacturing-3dmodel+xml' : 'application/octet-stream',
      'content-disposition': `attachment; filename="${filename.replace(/[^\x20-\x7e]/g, '_').replace(/"/g, "'")}"`,
      'x-content-type-options': 'nosniff',
      'x-fabgate-manifest-sha256': release.manifest_sha256,
      'x-fabgate-release': release.id,
      etag: `"${release.manifest_sha256}"`,
    }) as never;
  });
}
