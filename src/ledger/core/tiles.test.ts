import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { changedTiles, encodeTileIndex, parseTilePath, tilePath, TILE_WIDTH } from './tile-path.js';
import { TileReader, encodeEntryBundle, locateNode, parseEntryBundle, type TileFetcher } from './tiles.js';
import { verifyTiledLog } from './tiled-log.js';
import { openCheckpoint, parseCheckpoint } from './checkpoint.js';
import { parseVerifierKey } from './keys.js';
import { MemoryHashStore } from './hash-store.js';
import { hashLeaf } from './hash.js';
import { rootAt, inclusionProof } from './proof.js';
import { verifyConsistency, verifyInclusion } from './verify.js';
import { bytesEqual, toHex } from './bytes.js';
import { isFabgateError } from '../../shared/errors.js';
import { readTlogJson, tlogData } from './test-support/vectors.js';

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

describe('tile paths (c2sp.org/tlog-tiles)', () => {
  const c2sp = readTlogJson<{ tiles: { indexEncoding: Array<{ input: number; expected: string }>; tileCounts: Array<{ input: { treeSize: number }; expected: Record<string, number> }> } }>(
    'c2sp',
    'spec-examples.json',
  ).tiles;

  it.each(c2sp.indexEncoding.map((v) => [v.input, v.expected] as const))('index %d is %s', (input, expected) => {
    expect(encodeTileIndex(BigInt(input))).toBe(expected);
    expect(parseTilePath(`tile/0/${expected}`).index).toBe(BigInt(input));
  });

  it.each(c2sp.tileCounts.map((v) => [v.input.treeSize, v.expected] as const))('a tree of %d leaves has the tiles of the spec', (size, expected) => {
    const tiles = changedTiles(0n, BigInt(size));
    const count = (level: number, full: boolean) => tiles.filter((t) => t.level === level && (t.width === TILE_WIDTH) === full);
    for (const [key, value] of Object.entries(expected)) {
      const m = /^level(\d)(Full|PartialWidth)$/.exec(key)!;
      const level = Number(m[1]);
      if (m[2] === 'Full') expect(count(level, true)).toHaveLength(value);
      else expect(count(level, false).map((t) => t.width)).toEqual([value]);
    }
  });

  const sumdb = readTlogJson<{
    tilePaths: Array<{ path: string; expected: { H?: number; L?: number; N?: number; W?: number; error?: boolean } }>;
    newTilesCount: { cases: Array<[number, number, number]> };
  }>('golang-mod-sumdb', 'tlog-format-vectors.json');

  // sumdb paths carry the tile height (tile/H/L/N); tlog-tiles fixes it at 8 and
  // omits it, and calls the data tiles "entries". Drop the height and compare the rest.
  it.each(sumdb.tilePaths.map((v) => [v.path, v.expected] as const))('sumdb path %s, without its height', (path, expected) => {
    const c2spPath = path.replace(/^tile\/\d+\//, 'tile/').replace('tile/data/', 'tile/entries/');
    if (expected.error) {
      expect(() => parseTilePath(c2spPath)).toThrow();
      return;
    }
    const tile = parseTilePath(c2spPath);
    expect(tile.level).toBe(expected.L === -1 ? 'entries' : expected.L);
    expect(tile.index).toBe(BigInt(expected.N!));
    const partial = path.includes('.p/');
    expect(tile.width).toBe(partial ? expected.W : TILE_WIDTH);
    expect(tilePath(tile)).toBe(c2spPath);
  });

  it.each(sumdb.newTilesCount.cases)('height-10 tiles changed from %d to %d: %d', (from, to, count) => {
    expect(changedTiles(BigInt(from), BigInt(to), 10)).toHaveLength(count);
  });

  it.each([
    'tile/0/x000/001', // non-canonical leading group
    'tile/00/000',
    'tile/64/000',
    'tile/0/000.p/256',
    'tile/0/000.p/0',
    'tile/0/000.p/05',
    'tile/0/1',
    'tile/0/0001',
    'tile/0/x001',
    'tile/entries/x001/234.p',
    'tiles/0/000',
    'tile/-1/000',
    'tile/0/x018/x446/x744/x073/x709/x551/616', // 2^64
    'tile/0/' + 'x000/'.repeat(40) + '001',
  ])('refuses %s', async (path) => {
    expect(await codeOf(() => parseTilePath(path))).toBe('LEDGER_TILE_PATH_MALFORMED');
  });

  it('round-trips every tile', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant<'entries'>('entries'), fc.integer({ min: 0, max: 63 })),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.integer({ min: 1, max: 256 }),
        (level, index, width) => {
          const tile = { level, index, width };
          expect(parseTilePath(tilePath(tile))).toEqual(tile);
        },
      ),
    );
  });
});

describe('entry bundles', () => {
  it('round-trips, including empty and maximal entries', () => {
    const entries = [new Uint8Array(0), new Uint8Array(65535).fill(7), new TextEncoder().encode('one')];
    const bundle = encodeEntryBundle(entries);
    expect(parseEntryBundle(bundle, 3).map(toHex)).toEqual(entries.map(toHex));
  });

  it.each([
    ['a truncated length prefix', Uint8Array.of(0, 3, 0x6f, 0x6e, 0x65, 0), 2],
    ['a truncated entry', Uint8Array.of(0, 4, 0x6f, 0x6e, 0x65), 1],
    ['more entries than the tile', Uint8Array.of(0, 1, 1, 0, 1, 2), 1],
    ['fewer entries than the tile', Uint8Array.of(0, 1, 1), 2],
  ])('refuses %s', async (_what, bytes, count) => {
    expect(await codeOf(() => parseEntryBundle(bytes, count))).toBe('LEDGER_BUNDLE_MALFORMED');
  });

  it('refuses entries over 65535 bytes', async () => {
    expect(await codeOf(() => encodeEntryBundle([new Uint8Array(65536)]))).toBe('LEDGER_BUNDLE_MALFORMED');
  });
});

/** The Tessera example log on disk, served by path. */
const tesseraDir = tlogData('transparency-dev-tessera', 'testdata', 'log');
const TESSERA_KEY = 'example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx';
const TESSERA_ENTRIES = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eit', 'nain', 'ten', 'ileven', 'twelf', 'threeten', 'fourten', 'fivten'];
const fromDisk: TileFetcher = async (path) => new Uint8Array(readFileSync(`${tesseraDir}/${path}`));
const policy = { logKeys: [parseVerifierKey(TESSERA_KEY)], origin: 'example.com/log/testdata' };

describe('the Tessera 15-entry tiled log', () => {
  const checkpoints = readdirSync(tesseraDir)
    .filter((f) => /^checkpoint\.\d+$/.test(f))
    .map((f) => Number(f.split('.')[1]))
    .sort((a, b) => a - b);

  it('has checkpoints 0..15', () => expect(checkpoints).toEqual([...Array(16).keys()]));

  it.each(checkpoints)('checkpoint.%d verifies, and the tiles recompute its root', async (size) => {
    const cp = openCheckpoint(readFileSync(`${tesseraDir}/checkpoint.${size}`), policy);
    expect(cp.size).toBe(BigInt(size));
    const reader = new TileReader(fromDisk, cp.size);
    expect(toHex(await reader.root())).toBe(toHex(cp.rootHash));
  });

  it('the live checkpoint verifies with every entry re-hashed', async () => {
    const seen: string[] = [];
    const report = await verifyTiledLog(fromDisk, policy, { entries: true, onEntry: (_i, e) => seen.push(new TextDecoder().decode(e)) });
    expect(report.checkpoint.size).toBe(15n);
    expect(report.entriesChecked).toBe(15n);
    expect(seen).toEqual(TESSERA_ENTRIES);
  });

  it('every inclusion proof from tiles verifies against every checkpoint that holds the entry', async () => {
    for (const size of checkpoints.filter((s) => s > 0)) {
      const cp = parseCheckpoint(readFileSync(`${tesseraDir}/checkpoint.${size}`, 'utf8').split('\n\n')[0] + '\n');
      const reader = new TileReader(fromDisk, cp.size);
      for (let i = 0; i < size; i++) {
        const proof = await reader.inclusionProof(BigInt(i));
        verifyInclusion(hashLeaf(new TextEncoder().encode(TESSERA_ENTRIES[i]!)), BigInt(i), cp.size, proof, cp.rootHash);
      }
    }
  });

  it('every pair of checkpoints is consistent, by proofs built from tiles', async () => {
    const cps = checkpoints.map((s) => parseCheckpoint(readFileSync(`${tesseraDir}/checkpoint.${s}`, 'utf8').split('\n\n')[0] + '\n'));
    for (const newer of cps.filter((c) => c.size > 0n)) {
      const reader = new TileReader(fromDisk, newer.size);
      for (const older of cps.filter((c) => c.size > 0n && c.size <= newer.size)) {
        verifyConsistency(older.size, newer.size, older.rootHash, newer.rootHash, await reader.consistencyProof(older.size));
      }
    }
  });

  it('the tiles equal what an in-memory store of the entries holds', async () => {
    const store = new MemoryHashStore();
    for (const e of TESSERA_ENTRIES) store.appendLeafHash(hashLeaf(new TextEncoder().encode(e)));
    const reader = new TileReader(fromDisk, 15n);
    expect(toHex(await reader.root())).toBe(toHex(rootAt(store, 15n)));
    expect((await reader.inclusionProof(6n)).map(toHex)).toEqual(inclusionProof(store, 6n, 15n).map(toHex));
  });

  it('detects a tampered tile, a short tile and a tampered bundle', async () => {
    const flip = (path: string): TileFetcher => async (p) => {
      const bytes = await fromDisk(p);
      if (p === path) bytes[bytes.length - 1]! ^= 1;
      return bytes;
    };
    expect(await codeOf(() => verifyTiledLog(flip('tile/0/000.p/15'), policy))).toBe('LEDGER_ROOT_MISMATCH');
    const short: TileFetcher = async (p) => (p === 'tile/0/000.p/15' ? (await fromDisk(p)).subarray(0, 100) : fromDisk(p));
    expect(await codeOf(() => verifyTiledLog(short, policy))).toBe('LEDGER_TILE_MALFORMED');
    expect(await codeOf(() => verifyTiledLog(flip('tile/entries/000.p/15'), policy, { entries: true }))).toBe('LEDGER_BUNDLE_MALFORMED');
    expect(await codeOf(() => verifyTiledLog(flip('checkpoint'), policy))).not.toBe('ok');
  });

  it('reports an unreachable tile as a fetch failure', async () => {
    const missing: TileFetcher = async (p) => {
      if (p.startsWith('tile/')) throw new Error('404');
      return fromDisk(p);
    };
    expect(await codeOf(() => verifyTiledLog(missing, policy))).toBe('LEDGER_FETCH_FAILED');
  });

  it('refuses the checkpoint under another origin or another key', async () => {
    expect(await codeOf(() => verifyTiledLog(fromDisk, { ...policy, origin: 'example.com/other' }))).toBe('LEDGER_ORIGIN_MISMATCH');
    const other = parseVerifierKey('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
    expect(await codeOf(() => verifyTiledLog(fromDisk, { logKeys: [other] }))).toBe('LEDGER_NOTE_UNVERIFIED');
  });
});

describe('locating stored hashes in tiles', () => {
  it('every perfect subtree of a 70,000-leaf tree lies inside one served tile', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 16 }), fc.nat(), (level, i) => {
        const size = 70_000n;
        const count = size >> BigInt(level);
        if (count === 0n) return;
        const index = BigInt(i) % count;
        const { tile, offset, count: n } = locateNode(level, index, size);
        expect(offset + n).toBeLessThanOrEqual(tile.width);
        expect(changedTiles(0n, size).some((t) => t.level === tile.level && t.index === tile.index && t.width === tile.width)).toBe(true);
      }),
    );
  });

  it('a tile reader over a 1,000-leaf in-memory log agrees with the store', async () => {
    const store = new MemoryHashStore();
    for (let i = 0; i < 1000; i++) store.appendLeafHash(hashLeaf(new TextEncoder().encode(`entry ${i}`)));
    // Serve tiles computed from the store, as a log would write them.
    const serve: TileFetcher = async (path) => {
      const tile = parseTilePath(path);
      if (tile.level === 'entries') throw new Error('not served');
      const out = new Uint8Array(tile.width * 32);
      for (let k = 0; k < tile.width; k++) out.set(store.getNode(tile.level * 8, tile.index * 256n + BigInt(k)), k * 32);
      return out;
    };
    for (const size of [1n, 255n, 256n, 257n, 513n, 1000n]) {
      const reader = new TileReader(serve, size);
      expect(bytesEqual(await reader.root(), rootAt(store, size))).toBe(true);
      expect((await reader.inclusionProof(size - 1n)).map(toHex)).toEqual(inclusionProof(store, size - 1n, size).map(toHex));
    }
  });
});
