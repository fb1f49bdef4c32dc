/**
 * Runs every benchmark under bench/ (or those whose file name contains one of
 * the arguments) and prints one table: our figure, the peer's from the same run,
 * and the ratio (>1 means Fabgate is better, whichever direction "better" is).
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Benchmark, BenchRow } from './types.js';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const rows: Array<BenchRow & { file: string }> = [];
for (const file of files) {
  process.stderr.write(`running ${file}...\n`);
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Benchmark };
  try {
    for (const row of await mod.default()) rows.push({ ...row, file });
  } catch (e) {
    process.stderr.write(`${file} failed: ${(e as Error).stack}\n`);
    process.exitCode = 1;
  }
}

const fmt = (n: number | undefined) =>
  n === undefined ? '' : Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
const table = rows.map((r) => {
  const ratio = r.peer === undefined || r.peer === 0 || r.ours === 0 ? undefined : r.higherIsBetter ? r.ours / r.peer : r.peer / r.ours;
  return [r.what, `${fmt(r.ours)} ${r.unit}`, r.peer === undefined ? '' : `${fmt(r.peer)} ${r.unit} (${r.peerName ?? 'peer'})`, ratio === undefined ? '' : `${ratio.toFixed(2)}x`, r.target ?? '', r.note ?? ''];
});
const header = ['measured', 'fabgate', 'peer, same run', 'ratio', 'target', 'note'];
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const row of table) console.log(line(row));
