/**
 * Loaders for the reference vectors in ../shared/data/tlog (tests only).
 *
 * The transparency-dev probes carry sizes up to 2^64-1, which JSON.parse would
 * silently round; the numeric fields are quoted before parsing so they can be
 * read as bigint.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { sharedData } from '../../../shared/test-support/shared-data.js';

export function tlogData(...segments: string[]): string {
  return sharedData('tlog', ...segments);
}

export function readTlogJson<T>(...segments: string[]): T {
  return JSON.parse(readFileSync(tlogData(...segments), 'utf8')) as T;
}

/** Every *.json file under a folder, as [path relative to the folder, text]. */
export function jsonFilesUnder(...segments: string[]): Array<[string, string]> {
  const root = tlogData(...segments);
  const out: Array<[string, string]> = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.json')) out.push([relative(root, path), readFileSync(path, 'utf8')]);
    }
  };
  walk(root);
  return out;
}

/** JSON.parse with the named integer fields kept exact (as decimal strings). */
export function parseWithBigFields(text: string, fields: readonly string[]): Record<string, unknown> {
  const pattern = new RegExp(`"(${fields.join('|')})"\\s*:\\s*(-?\\d+)`, 'g');
  return JSON.parse(text.replace(pattern, '"$1":"$2"')) as Record<string, unknown>;
}

export function b64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}
