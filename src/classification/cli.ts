/**
 * `fabgate classify`, `fabgate schema item`, `fabgate rules status|diff|compare`.
 * `rules diff --stored ORG` reads an organisation's item register from the database.
 *
 * classify exits 0 whatever the outcome (controlled is an answer, not a
 * failure) and 2 on invalid input; rules status exits 1 when a rule set is past
 * its review or sunset date, so a scheduled job can alert on it.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliExit, EXIT, emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError } from '../shared/errors.js';
import { compareClassification, harmonisationReport } from './compare.js';
import { assessDestination } from './destination.js';
import { classify, type LoadedRuleSet } from './evaluate.js';
import { MAX_ITEM_BYTES, nestingDepth, parseItemJson } from './item.js';
import { itemJsonSchema } from './item-schema.js';
import { defaultEngine, parseRuleSet, shippedRuleSets } from './rules/index.js';
import type { RuleSetImpact } from './store.js';
import type { Classification, TraceNode } from './types.js';
import { diffRuleSets, ruleSetStatus, wouldChange, type StoredItem } from './versioning.js';

/** Largest rule-set file accepted (the shipped US set is about 150 kB). */
const MAX_RULESET_BYTES = 16 * 1024 * 1024;
/** Deepest nesting accepted in a rule-set file (the shipped logic trees nest about 12 levels). */
const MAX_RULESET_DEPTH = 64;
/** Largest JSONL file of stored items accepted by `rules diff --items`. */
const MAX_ITEMS_BYTES = 256 * 1024 * 1024;

function readLimited(io: CliIO, path: string, limit: number): string {
  const full = isAbsolute(path) ? path : resolve(io.cwd, path);
  let size: number;
  try {
    size = statSync(full).size;
  } catch (e) {
    throw new FabgateError('CLASSIFICATION_FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
  if (size > limit) throw new FabgateError('CLASSIFICATION_FILE_TOO_LARGE', `${path}: ${size} bytes, more than ${limit}`, 'too_large', { limit });
  try {
    return readFileSync(full, 'utf8');
  } catch (e) {
    throw new FabgateError('CLASSIFICATION_FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
}

async function readStdin(io: CliIO, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > limit) throw new FabgateError('CLASSIFICATION_ITEM_TOO_LARGE', `stdin: more than ${limit} bytes`, 'too_large', { limit });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function loadRuleSetFile(io: CliIO, path: string) {
  const text = readLimited(io, path, MAX_RULESET_BYTES);
  if (nestingDepth(text) > MAX_RULESET_DEPTH) {
    throw new FabgateError('CLASSIFICATION_RULESET_TOO_DEEP', `${path}: nested deeper than ${MAX_RULESET_DEPTH} levels`, 'invalid_input', { limit: MAX_RULESET_DEPTH });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new FabgateError('CLASSIFICATION_JSON_MALFORMED', `${path}: not valid JSON (${(e as Error).message})`, 'invalid_input');
  }
  return parseRuleSet(value, path);
}

/** Items from a folder of *.json files or a JSONL file; invalid ones are reported, not fatal. */
function loadItems(io: CliIO, path: string): { items: StoredItem[]; invalid: Array<{ ref: string; code: string; message: string }> } {
  const full = isAbsolute(path) ? path : resolve(io.cwd, path);
  const items: StoredItem[] = [];
  const invalid: Array<{ ref: string; code: string; message: string }> = [];
  const add = (ref: string, text: string) => {
    try {
      const item = parseItemJson(text, ref);
      items.push({ ref: item.id ? `${ref} (${item.id})` : ref, item });
    } catch (e) {
      if (!(e instanceof FabgateError)) throw e;
      invalid.push({ ref, code: e.code, message: e.message });
    }
  };
  let isDir = false;
  try {
    isDir = statSync(full).isDirectory();
  } catch (e) {
    throw new FabgateError('CLASSIFICATION_FILE_UNREADABLE', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'invalid_input');
  }
  if (isDir) {
    for (const name of readdirSync(full).filter((n) => n.endsWith('.json')).sort()) add(name, readLimited(io, join(full, name), MAX_ITEM_BYTES));
  } else {
    readLimited(io, path, MAX_ITEMS_BYTES)
      .split('\n')
      .forEach((line, i) => {
        if (line.trim()) add(`line ${i + 1}`, line);
      });
  }
  return { items, invalid };
}

const regimesOption = (value: string, prev: string[] = []) => [...prev, ...value.split(',').map((s) => s.trim()).filter(Boolean)];

function printTrace(out: (line: string) => void, t: TraceNode, indent: string): void {
  const mark = { met: '+', not_met: '-', unknown: '?', review: '!' }[t.result];
  let label: string;
  if (t.node === 'condition') {
    const found = t.missing ? 'MISSING' : JSON.stringify(t.found);
    const conv = t.converted && !Array.isArray(t.converted) ? ` = ${t.converted.value} ${t.converted.unit}` : '';
    label = `${t.id} ${t.parameter} ${t.operator} ${JSON.stringify(t.threshold) ?? ''}: ${found}${conv}`;
  } else if (t.node === 'unmodelled') label = `not modelled: ${t.text}`;
  else if (t.node === 'any_element') label = `any element of ${t.path}${t.satisfied_by?.length ? ` (met by [${t.satisfied_by.join(', ')}])` : ''}`;
  else if (t.node === 'element') label = `element ${t.index}`;
  else if (t.node === 'applicability') label = t.detail ?? '';
  else label = t.node;
  out(`${indent}${mark} ${label}`);
  for (const c of t.children ?? []) printTrace(out, c, indent + '  ');
}

function printClassification(out: (line: string) => void, c: Classification, verbose: boolean): void {
  out(`item: ${c.item.kind}${c.item.name ? ` "${c.item.name}"` : ''}`);
  out(`rule sets: ${c.rule_sets.map((r) => `${r.id}@${r.version}`).join(', ')}`);
  out(`controlled by: ${c.controlled_by.join(', ') || '(none)'}`);
  if (c.needs_information.length) out(`needs information: ${c.needs_information.join(', ')}`);
  if (c.needs_review.length) out(`needs review: ${c.needs_review.join(', ')}`);
  for (const r of c.results.filter((x) => x.applicable)) {
    out(`\n${r.key} — ${r.status}`);
    for (const m of r.missing) out(`  missing: ${m}`);
    for (const m of r.review) out(`  review: ${m}`);
    if (verbose || r.status !== 'not_controlled') printTrace(out, r.trace, '  ');
  }
}

/** The shipped version of a rule set (`fabgate rules diff current NEW`). */
function shippedVersionOf(id: string): LoadedRuleSet {
  const shipped = shippedRuleSets().find((s) => s.ruleSet.id === id);
  if (!shipped) throw new FabgateError('CLASSIFICATION_RULESET_NOT_FOUND', `no shipped rule set ${id} to compare with`, 'invalid_input', { rule_set: id });
  return shipped;
}

/**
 * What `next` would change in an organisation's item register and recorded
 * classifications, read from the configured database. The store is loaded only
 * here, so commands without a database stay light.
 */
async function storedImpact(io: CliIO, organisation: string, old: LoadedRuleSet, next: LoadedRuleSet): Promise<{ organisation: string; impact: RuleSetImpact }> {
  const { withServices } = await import('../app/cli.js');
  const { findOrganisation } = await import('../identity/service.js');
  const { ruleSetImpact } = await import('./store.js');
  return withServices(io, async (s) => {
    const org = await findOrganisation(s.database.db, organisation);
    if (!org) throw new FabgateError('CLASSIFICATION_ORGANISATION_UNKNOWN', `no organisation "${organisation}"`, 'invalid_input', { organisation });
    return { organisation: org.name, impact: await ruleSetImpact(s.database.db, org.id, old, next) };
  });
}

function ensureGroup(program: Command, name: string, description: string): Command {
  return program.commands.find((c) => c.name() === name) ?? program.command(name).description(description);
}

export const registerClassificationCommands: CommandRegistrar = (program, { io }) => {
  program
    .command('classify')
    .description('Classify an item specification against the control-list rules (exit 0 whatever the outcome, 2 on invalid input)')
    .argument('<item>', 'item specification JSON file, or - for stdin (see `fabgate schema item`)')
    .option('--destination <cc>', 'ISO 3166 country code: licence requirement per regime')
    .option('--regime <regime>', 'only this regime (rule-set id, regime name or key prefix; repeat or comma-separate)', regimesOption)
    .option('--compare', 'compare the result across regimes')
    .option('--verbose', 'print the trace of every applicable entry')
    .option('--json', 'print one JSON object')
    .action(async (path: string, opts: { destination?: string; regime?: string[]; compare?: boolean; verbose?: boolean; json?: boolean }) => {
      const text = path === '-' ? await readStdin(io, MAX_ITEM_BYTES) : readLimited(io, path, MAX_ITEM_BYTES);
      const item = parseItemJson(text, path);
      const engine = defaultEngine();
      const c = classify(engine, item, { regimes: opts.regime });
      const destination = opts.destination ? assessDestination(c, opts.destination, engine) : undefined;
      const comparison = opts.compare ? compareClassification(c, engine) : undefined;
      emit(io, !!opts.json, { ...c, ...(destination ? { destination } : {}), ...(comparison ? { comparison } : {}) }, (out) => {
        printClassification(out, c, !!opts.verbose);
        if (destination) {
          out(`\ndestination ${destination.destination.code} (${destination.destination.name})`);
          for (const r of destination.regimes) {
            out(`  ${r.regime}: ${r.status}`);
            for (const why of r.reasons) out(`    - ${why}`);
            for (const u of r.unknowns) out(`    ? ${u}`);
          }
        }
        if (comparison) {
          out('\ncomparison');
          out(`  controlled in: ${comparison.controlled_in.join(', ') || '(none)'}`);
          out(`  not controlled in: ${comparison.not_controlled_in.join(', ') || '(none)'}`);
          out(`  undecided in: ${comparison.undecided_in.join(', ') || '(none)'}`);
          for (const f of comparison.families) if (f.divergence) out(`  - ${f.divergence}`);
        }
      });
    });

  ensureGroup(program, 'schema', 'Print published JSON Schemas')
    .command('item')
    .description('Print the JSON Schema of item specifications')
    .option('--json', 'print on one line')
    .action((opts: { json?: boolean }) => {
      const schema = itemJsonSchema();
      io.stdout.write((opts.json ? JSON.stringify(schema) : JSON.stringify(schema, null, 2)) + '\n');
    });

  const rules = ensureGroup(program, 'rules', 'Control-list rule sets: status, versions, comparison');
  rules
    .command('status')
    .description('Show each rule set with its dates; exit 1 if a review or sunset date has passed')
    .option('--at <date>', 'evaluate on this date (YYYY-MM-DD) instead of today')
    .option('--json', 'print one JSON object')
    .action((opts: { at?: string; json?: boolean }) => {
      let now = new Date();
      if (opts.at !== undefined) {
        now = new Date(`${opts.at}T00:00:00Z`);
        if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.at) || Number.isNaN(now.getTime())) {
          throw new FabgateError('CLASSIFICATION_DATE_INVALID', `--at: not a date YYYY-MM-DD: ${opts.at}`, 'invalid_input');
        }
      }
      const status = ruleSetStatus(shippedRuleSets(), now);
      emit(io, !!opts.json, { date: now.toISOString().slice(0, 10), rule_sets: status }, (out) => {
        for (const s of status) out(`${s.flagged ? '!' : ' '} ${s.id.padEnd(12)} ${s.version.padEnd(14)} ${s.state.padEnd(18)} ${s.message}`);
      });
      if (status.some((s) => s.flagged)) throw new CliExit(EXIT.failure);
    });

  rules
    .command('diff')
    .description('List entries added, removed and changed between two versions of a rule set, and which stored items would be classified differently')
    .argument('<old>', 'old rule-set file, or "current" for the shipped version of the new file\'s rule set')
    .argument('<new>', 'new rule-set file')
    .option('--items <path>', 'folder of item *.json files, or a JSONL file of items')
    .option('--stored <organisation>', "the organisation's item register and recorded classifications in the database (name or id)")
    .option('--json', 'print one JSON object')
    .action(async (oldPath: string, newPath: string, opts: { items?: string; stored?: string; json?: boolean }) => {
      const b = loadRuleSetFile(io, newPath);
      const a = oldPath === 'current' ? shippedVersionOf(b.ruleSet.id) : loadRuleSetFile(io, oldPath);
      const diff = diffRuleSets(a.ruleSet, b.ruleSet);
      const loaded = opts.items ? loadItems(io, opts.items) : undefined;
      const changes = loaded ? wouldChange(loaded.items, a, b) : undefined;
      const stored = opts.stored !== undefined ? await storedImpact(io, opts.stored, a, b) : undefined;
      const result = {
        ...diff,
        ...(loaded ? { items_checked: loaded.items.length, invalid_items: loaded.invalid, would_change: changes } : {}),
        ...(stored ? { stored } : {}),
      };
      emit(io, !!opts.json, result, (out) => {
        out(`${diff.regime}: ${diff.old_version} -> ${diff.new_version}`);
        for (const m of diff.metadata) out(`  ${m.what}: ${JSON.stringify(m.old)} -> ${JSON.stringify(m.new)}`);
        for (const k of diff.added) out(`+ ${k}`);
        for (const k of diff.removed) out(`- ${k}`);
        for (const c of diff.changed) {
          out(`~ ${c.key}`);
          for (const ch of c.changes) out(`    ${ch.what}`);
        }
        if (loaded) {
          out(`\n${loaded.items.length} items checked, ${changes!.length} would change`);
          for (const ch of changes!) out(`  ${ch.ref}: ${ch.changes.map((x) => `${x.key} ${x.old_status} -> ${x.new_status}`).join('; ')}`);
          for (const bad of loaded.invalid) out(`  invalid ${bad.ref}: ${bad.code} ${bad.message}`);
        }
        if (stored) {
          const s = stored.impact;
          out(`\n${stored.organisation}: ${s.items_checked} items checked, ${s.items.length} would change`);
          for (const ch of s.items) out(`  ${ch.name} (${ch.item_id}): ${ch.changes.map((x) => `${x.key} ${x.old_status} -> ${x.new_status}`).join('; ')}`);
          out(`  ${s.recorded_checked} latest recorded classifications made under ${diff.old_version} checked, ${s.recorded.length} would change`);
          for (const r of s.recorded) out(`  ${r.item_name}, recorded ${r.classified_at} (${r.classification_id}): ${r.changes.map((x) => `${x.key} ${x.old_status} -> ${x.new_status}`).join('; ')}`);
          if (s.recorded_under_other_versions) out(`  ${s.recorded_under_other_versions} made under other versions of ${b.ruleSet.id} (not comparable)`);
        }
      });
    });

  rules
    .command('compare')
    .description('Report counterpart entries across regimes and the parameters on which they differ')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => {
      const report = harmonisationReport(defaultEngine());
      emit(io, !!opts.json, report, (out) => {
        for (const f of report.families) {
          out(`${f.family.join(' | ')}`);
          if (f.regimes_without_entry.length) out(`  no entry in: ${f.regimes_without_entry.join(', ')}`);
          for (const r of f.source_remarks) out(`  source: ${r}`);
          for (const d of f.differences) out(`  differs: ${d.parameter}`);
        }
        out(`\n${report.caveat}`);
      });
    });
};
