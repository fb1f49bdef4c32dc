import { z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../http/env.js';
import { defineRoute } from '../http/route.js';
import { encodeBase64 } from './core/bytes.js';
import { hashLeaf } from './core/hash.js';
import { decodeLeaf } from './core/leaf.js';
import { parseTilePath, TILE_WIDTH } from './core/tile-path.js';
import { FabgateError } from '../shared/errors.js';

const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });
const uint = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'a non-negative decimal integer')
  .transform((s) => BigInt(s));

const checkpointRoute = defineRoute({
  method: 'get',
  path: '/log/checkpoint',
  access: 'public',
  tags: ['transparency log'],
  summary: 'The latest signed checkpoint (c2sp.org/tlog-checkpoint, an Ed25519 signed note)',
  responses: { 200: text('The signed checkpoint note') },
});
const keyRoute = defineRoute({
  method: 'get',
  path: '/log/key',
  access: 'public',
  tags: ['transparency log'],
  summary: 'The verifier key of the log, as one C2SP verifier-key line (name+hex key id+base64(0x01 || public key))',
  responses: { 200: text('The verifier key') },
});
const keysRoute = defineRoute({
  method: 'get',
  path: '/log/keys',
  access: 'public',
  tags: ['transparency log'],
  summary: 'Every key the log has signed with, current and retired',
  responses: {
    200: {
      description: 'Keys',
      content: { 'application/json': { schema: z.object({ origin: z.string(), keys: z.array(z.object({ key_id: z.string(), verifier_key: z.string(), retired_at: z.string().nullable() })) }) } },
    },
  },
});
const inclusionRoute = defineRoute({
  method: 'get',
  path: '/log/proof/inclusion',
  access: 'public',
  tags: ['transparency log'],
  summary: 'Inclusion proof of leaf `index` in the tree of `size` leaves (default: the latest checkpoint)',
  request: { query: z.object({ index: uint, size: uint.optional() }) },
  responses: {
    200: {
      description: 'The proof, hashes in base64, leaf sibling first (RFC 9162 §2.1.3)',
      content: { 'application/json': { schema: z.object({ index: z.string(), size: z.string(), leaf_hash: z.string(), proof: z.array(z.string()) }) } },
    },
  },
});
const consistencyRoute = defineRoute({
  method: 'get',
  path: '/log/proof/consistency',
  access: 'public',
  tags: ['transparency log'],
  summary: 'Consistency proof from the tree of `from` leaves to the tree of `to` leaves (RFC 9162 §2.1.4)',
  request: { query: z.object({ from: uint, to: uint }) },
  responses: {
    200: { description: 'The proof, hashes in base64', content: { 'application/json': { schema: z.object({ from: z.string(), to: z.string(), proof: z.array(z.string()) }) } } },
  },
});
const entryRoute = defineRoute({
  method: 'get',
  path: '/log/entries/{index}',
  access: 'public',
  tags: ['transparency log'],
  summary: 'One logged entry: the leaf bytes (fabgate/leaf/v1) and their fields',
  request: { params: z.object({ index: uint }) },
  responses: {
    200: {
      description: 'The entry',
      content: {
        'application/json': {
          schema: z.object({ index: z.string(), leaf: z.string(), event_type: z.string(), time: z.string(), record_type: z.string(), record_id: z.string(), commitment: z.string() }),
        },
      },
    },
  },
});
const receiptRoute = defineRoute({
  method: 'get',
  path: '/log/receipt/{index}',
  access: 'public',
  tags: ['transparency log'],
  summary: 'A c2sp.org/tlog-proof receipt for entry `index`, verifiable offline with the verifier key',
  request: { params: z.object({ index: uint }) },
  responses: { 200: text('The receipt') },
});

function tlogText(c: Context<AppEnv>, body: string, cache: string) {
  return c.text(body, 200, { 'Cache-Control': cache });
}

/** The public read API of the transparency log, in the c2sp.org/tlog-tiles layout. */
export function ledgerRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(checkpointRoute, async (c) => {
    const cp = await c.get('services').ledger.latestCheckpoint();
    if (!cp) throw new FabgateError('LEDGER_EMPTY', 'the log has no checkpoint yet', 'not_found');
    return tlogText(c, cp.note, 'no-cache');
  });
  app.openapi(keyRoute, async (c) => tlogText(c, (await c.get('services').ledger.verifierKey()) + '\n', 'no-cache'));
  app.openapi(keysRoute, async (c) => {
    const { ledger, database } = c.get('services');
    await ledger.verifierKey();
    const rows = await database.db.selectFrom('ledger_keys').select(['key_id', 'verifier_key', 'retired_at']).orderBy('created_at', 'desc').execute();
    return c.json({ origin: ledger.origin, keys: rows }, 200);
  });
  app.openapi(inclusionRoute, async (c) => {
    const { index, size } = c.req.valid('query');
    const ledger = c.get('services').ledger;
    const p = await ledger.inclusionProof(index, size);
    return c.json({ index: p.index.toString(), size: p.size.toString(), leaf_hash: encodeBase64(hashLeaf(await ledger.entry(index))), proof: p.proof.map(encodeBase64) }, 200);
  });
  app.openapi(consistencyRoute, async (c) => {
    const { from, to } = c.req.valid('query');
    const proof = await c.get('services').ledger.consistencyProof(from, to);
    return c.json({ from: from.toString(), to: to.toString(), proof: proof.map(encodeBase64) }, 200);
  });
  app.openapi(entryRoute, async (c) => {
    const { index } = c.req.valid('param');
    const leaf = await c.get('services').ledger.entry(index);
    const e = decodeLeaf(leaf);
    return c.json(
      {
        index: index.toString(),
        leaf: new TextDecoder().decode(leaf),
        event_type: e.eventType,
        time: e.time,
        record_type: e.recordType,
        record_id: e.recordId,
        commitment: Buffer.from(e.commitment).toString('hex'),
      },
      200,
    );
  });
  app.openapi(receiptRoute, async (c) => {
    const { index } = c.req.valid('param');
    return tlogText(c, await c.get('services').ledger.receipt(index), 'no-cache');
  });

  // Tiles and entry bundles: binary, with tlog-tiles paths that span several
  // segments (tile/0/x001/234.p/5), so they are routed by prefix and described
  // in the OpenAPI document by hand.
  app.get('/log/tile/*', async (c) => {
    const path = c.req.path.slice('/log/'.length);
    const tile = parseTilePath(path);
    const bytes = await c.get('services').ledger.tile(path);
    // Full tiles never change (tlog-tiles: cache them forever); partial ones grow.
    const cache = tile.width === TILE_WIDTH ? 'public, max-age=31536000, immutable' : 'no-cache';
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': 'application/octet-stream', 'Cache-Control': cache });
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/log/tile/{path}',
    tags: ['transparency log'],
    summary: 'A tile (tile/<L>/<N>[.p/<W>]) or entry bundle (tile/entries/<N>[.p/<W>]) per c2sp.org/tlog-tiles; full tiles are immutable',
    request: { params: z.object({ path: z.string().openapi({ example: '0/000.p/12' }) }) },
    responses: { 200: { description: 'Concatenated 32-byte hashes, or length-prefixed entries', content: { 'application/octet-stream': { schema: z.string() } } } },
    'x-fabgate-access': 'public',
  } as never);
}
