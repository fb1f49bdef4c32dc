/**
 * c2sp.org/tlog-tiles resource paths:
 *
 *   tile/<L>/<N>[.p/<W>]        Merkle tree hashes, level L (0..63)
 *   tile/entries/<N>[.p/<W>]    entry bundles
 *
 * <N> is written in zero-padded 3-digit groups, all but the last prefixed "x"
 * (1234067 -> x001/x234/067); <W>, in 1..255, marks a partial tile. Parsing is
 * strict and canonical: one resource, one path.
 */
import { LedgerError } from './errors.js';
import { parseDecimal, MAX_UINT64 } from './bytes.js';
import { assertUint64 } from './tree.js';

/** Tiles hold subtrees of height 8: 256 hashes, 8,192 bytes when full. */
export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 1 << TILE_HEIGHT;

/** A Merkle tree tile (`level` >= 0) or an entry bundle (`level` = 'entries'). */
export interface TileId {
  readonly level: number | 'entries';
  readonly index: bigint;
  /** Number of hashes (or entries): 256 for a full tile, 1..255 for a partial one. */
  readonly width: number;
}

function malformed(path: string, why: string): LedgerError {
  return new LedgerError('LEDGER_TILE_PATH_MALFORMED', `${JSON.stringify(path)}: ${why}`, { path });
}

/** N in x-prefixed 3-digit groups: 1234067 -> "x001/x234/067". */
export function encodeTileIndex(index: bigint): string {
  assertUint64(index, 'tile index');
  let digits = index.toString();
  digits = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = digits.match(/.{3}/g)!;
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

/** The path of a tile or entry bundle, relative to the log prefix. */
export function tilePath(tile: TileId): string {
  const { level, index, width } = tile;
  if (level !== 'entries' && (!Number.isInteger(level) || level < 0 || level > 63)) {
    throw new LedgerError('LEDGER_TILE_PATH_MALFORMED', `tile level ${level} is not in 0..63`);
  }
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) {
    throw new LedgerError('LEDGER_TILE_PATH_MALFORMED', `tile width ${width} is not in 1..${TILE_WIDTH}`);
  }
  const partial = width < TILE_WIDTH ? `.p/${width}` : '';
  return `tile/${level}/${encodeTileIndex(index)}${partial}`;
}

/** Parse a tile or entry bundle path (relative to the log prefix); strict and canonical. */
export function parseTilePath(path: string): TileId {
  // The longest canonical path (level 63, index 2^64-1, partial) is 52 characters.
  if (path.length > 64) throw malformed(path.slice(0, 64), 'longer than any tile path');
  const parts = path.split('/');
  if (parts[0] !== 'tile' || parts.length < 3) throw malformed(path, 'expected tile/<L>/<N>[.p/<W>]');
  let level: number | 'entries';
  if (parts[1] === 'entries') {
    level = 'entries';
  } else {
    const l = parseDecimal(parts[1]!);
    if (l === undefined || l > 63n) throw malformed(path, 'the level must be a decimal in 0..63');
    level = Number(l);
  }
  let groups = parts.slice(2);
  let width = TILE_WIDTH;
  const last = groups[groups.length - 1]!;
  if (groups.length >= 2 && groups[groups.length - 2]!.endsWith('.p')) {
    const w = parseDecimal(last);
    if (w === undefined || w < 1n || w >= BigInt(TILE_WIDTH)) throw malformed(path, 'a partial width must be a decimal in 1..255');
    width = Number(w);
    groups = groups.slice(0, -1);
    groups[groups.length - 1] = groups[groups.length - 1]!.slice(0, -2);
  }
  let digits = '';
  for (const [i, g] of groups.entries()) {
    const pattern = i < groups.length - 1 ? /^x[0-9]{3}$/ : /^[0-9]{3}$/;
    if (!pattern.test(g)) throw malformed(path, 'the index is written in 3-digit groups, all but the last prefixed with "x"');
    digits += g.replace('x', '');
  }
  const index = BigInt(digits);
  if (index > MAX_UINT64) throw malformed(path, 'the index exceeds 2^64-1');
  const tile: TileId = { level, index, width };
  // Canonical form only: "x000/001" and "001" must not both name tile 1.
  if (tilePath(tile) !== path) throw malformed(path, 'not the canonical encoding of this tile');
  return tile;
}

/**
 * The tiles (height `height`, 8 for tlog-tiles) whose content changes when the
 * tree grows from `oldSize` to `newSize` leaves: what a log must write after
 * integrating a batch. Full tiles first per level, then the new partial tile.
 */
export function changedTiles(oldSize: bigint, newSize: bigint, height = TILE_HEIGHT): Array<{ level: number; index: bigint; width: number }> {
  assertUint64(oldSize, 'old tree size');
  assertUint64(newSize, 'new tree size');
  const h = BigInt(height);
  const tiles: Array<{ level: number; index: bigint; width: number }> = [];
  for (let level = 0; newSize >> (h * BigInt(level)) > 0n; level++) {
    const shift = h * BigInt(level);
    const oldHashes = oldSize >> shift;
    const newHashes = newSize >> shift;
    if (oldHashes === newHashes) continue;
    for (let n = oldHashes >> h; n < newHashes >> h; n++) tiles.push({ level, index: n, width: 1 << height });
    const partial = Number(newHashes - ((newHashes >> h) << h));
    if (partial > 0) tiles.push({ level, index: newHashes >> h, width: partial });
  }
  return tiles;
}
