import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runProgram } from '../cli/program.js';
import { runCli } from '../shared/test-support/cli.js';
import { registerClassificationCommands } from './cli.js';
import { itemJsonSchema } from './item-schema.js';
import { shippedRuleSets } from './rules/index.js';
import { ruleSetFileText } from './rules/import-entries.js';
import { SPINE_MACHINE } from './test-support/items.js';
import type { Classification } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'fabgate-classify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: unknown) => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const cli = (...argv: string[]) => runCli([registerClassificationCommands], argv, { cwd: dir });

describe('fabgate classify', () => {
  const spine = file('spine.json', SPINE_MACHINE);

  it('prints controlled_by, needs_information and every result with its trace; exit 0', async () => {
    const r = await cli('classify', spine, '--json');
    expect(r.code).toBe(0);
    const out = r.json<Classification>();
    expect(out.controlled_by).toEqual(['US-EAR:2B910', 'EU-2021/821:2B510']);
    expect(out.needs_information).toEqual([]);
    expect(out.results).toHaveLength(36);
    const r2b910 = out.results.find((x) => x.key === 'US-EAR:2B910')!;
    expect(r2b910.status).toBe('controlled');
    expect(r2b910.trace.node).toBe('all');
    expect(out.rule_sets.map((s) => s.id)).toEqual(['us-ear', 'eu-2021-821', 'uk', 'wassenaar', 'es-national', 'ca-ecl']);
    expect(out.rule_sets[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('runs in process through runProgram with any CliIO', async () => {
    let stdout = '';
    const sink = { write: (s: string) => ((stdout += s), true) } as unknown as NodeJS.WritableStream;
    const code = await runProgram(['classify', spine, '--json', '--regime', 'us-ear'], { stdout: sink, stderr: sink, stdin: process.stdin, env: {}, cwd: dir }, [registerClassificationCommands]);
    expect(code).toBe(0);
    expect((JSON.parse(stdout) as Classification).results.every((x) => x.key.startsWith('US-EAR:'))).toBe(true);
  });

  it('a not-controlled item also exits 0', async () => {
    const polymer = file('polymer.json', { kind: 'am_machine', machine: { output_material_class: ['polymer'], consolidation_sources: ['heated_nozzle'] } });
    const r = await cli('classify', polymer, '--json');
    expect(r.code).toBe(0);
    expect(r.json<Classification>().controlled_by).toEqual([]);
  });

  it('--destination CN: licence required with the reason', async () => {
    const r = await cli('classify', spine, '--destination', 'CN', '--json');
    const out = r.json<{ destination: { regimes: Array<{ regime: string; status: string; reasons: string[] }> } }>();
    const us = out.destination.regimes.find((x) => x.regime === 'US-EAR')!;
    expect(us.status).toBe('licence_required');
    expect(us.reasons.join(' ')).toMatch(/worldwide control/);
  });

  it('--regime filters, --compare adds the comparison', async () => {
    const r = await cli('classify', spine, '--regime', 'EU-2021/821', '--regime', 'uk', '--compare', '--json');
    const out = r.json<Classification & { comparison: { controlled_in: string[] } }>();
    expect([...new Set(out.results.map((x) => x.regime))]).toEqual(['EU-2021/821', 'UK']);
    expect(out.comparison.controlled_in).toEqual(['EU-2021/821']);
  });

  it('human output names the entries and the trace', async () => {
    const r = await cli('classify', spine);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('controlled by: US-EAR:2B910, EU-2021/821:2B510');
    expect(r.stdout).toContain('+ 2B910.d machine.closed_loop_control.present eq true: true');
  });

  it('reads stdin with -', async () => {
    const r = await runCli([registerClassificationCommands], ['classify', '-', '--json'], { cwd: dir, stdin: JSON.stringify(SPINE_MACHINE) });
    expect(r.json<Classification>().controlled_by).toContain('US-EAR:2B910');
  });

  it('invalid input exits 2 with a stable code', async () => {
    const cases: Array<[string[], string]> = [
      [['classify', file('bad-unit.json', { kind: 'am_machine', machine: { chamber_vacuum_pressure: { value: 1, unit: 'K' } } }), '--json'], 'CLASSIFICATION_UNIT_DIMENSION'],
      [['classify', file('bad-json.json', '{"kind":'), '--json'], 'CLASSIFICATION_JSON_MALFORMED'],
      [['classify', file('bad-field.json', { kind: 'am_machine', machine: { colour: 'red' } }), '--json'], 'CLASSIFICATION_ITEM_INVALID'],
      [['classify', join(dir, 'nope.json'), '--json'], 'CLASSIFICATION_FILE_UNREADABLE'],
      [['classify', spine, '--destination', 'XX', '--json'], 'CLASSIFICATION_COUNTRY_UNKNOWN'],
      [['classify', spine, '--regime', 'narnia', '--json'], 'CLASSIFICATION_REGIME_UNKNOWN'],
    ];
    for (const [argv, code] of cases) {
      const r = await cli(...argv);
      expect(r.code, code).toBe(2);
      expect(r.json<{ error: { code: string } }>().error.code).toBe(code);
    }
  });
});

describe('fabgate schema item', () => {
  it('prints the published JSON Schema', async () => {
    const r = await cli('schema', 'item');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(itemJsonSchema());
  });
});

describe('fabgate rules', () => {
  it('status: all current today; exit 1 with flags after the review date', async () => {
    const ok = await cli('rules', 'status', '--at', '2026-11-26', '--json');
    expect(ok.code).toBe(0);
    expect(ok.json<{ rule_sets: Array<{ state: string }> }>().rule_sets.every((s) => s.state === 'current')).toBe(true);
    const late = await cli('rules', 'status', '--at', '2027-06-01', '--json');
    expect(late.code).toBe(1);
    expect(late.json<{ rule_sets: Array<{ id: string; state: string }> }>().rule_sets.find((s) => s.id === 'us-ear')!.state).toBe('review_overdue');
    expect((await cli('rules', 'status', '--at', 'soon', '--json')).code).toBe(2);
  });

  it('diff: lists changed entries and which stored items (folder or JSONL) would change', async () => {
    const old = shippedRuleSets()[0]!.ruleSet;
    const next = structuredClone(old);
    next.version = '2027-01-15.1';
    const p = next.entries.find((e) => e.key === 'US-EAR:2B910')!.parameters.find((x) => x.id === '2B910.c.2.t')!;
    if (p.operator !== 'gt') throw new Error('unexpected');
    p.value = 1500;
    const oldFile = file('us-old.json', ruleSetFileText(old));
    const newFile = file('us-new.json', ruleSetFileText(next));
    const pyro = (t: number) => ({ ...SPINE_MACHINE, id: `pyro-${t}`, machine: { ...SPINE_MACHINE.machine, in_process_monitoring: [{ sensor_type: 'pyrometer', configuration: 'co-axial', max_measurable_temperature: { value: t, unit: 'degC' } }] } });
    const jsonl = file('items.jsonl', [pyro(1200), pyro(2200), '{"kind":"am_machine","machine":{"x":1}}'].map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join('\n') + '\n');
    const r = await cli('rules', 'diff', oldFile, newFile, '--items', jsonl, '--json');
    expect(r.code).toBe(0);
    const out = r.json<{ changed: Array<{ key: string }>; would_change: Array<{ ref: string; changes: Array<{ key: string; new_status: string }> }>; invalid_items: Array<{ ref: string; code: string }>; items_checked: number }>();
    expect(out.changed.map((c) => c.key)).toEqual(['US-EAR:2B910']);
    expect(out.items_checked).toBe(2);
    expect(out.would_change).toEqual([{ ref: 'line 1 (pyro-1200)', changes: [{ key: 'US-EAR:2B910', old_status: 'controlled', new_status: 'not_controlled' }] }]);
    expect(out.invalid_items).toEqual([expect.objectContaining({ ref: 'line 3', code: 'CLASSIFICATION_ITEM_INVALID' })]);

    const folder = join(dir, 'items');
    (await import('node:fs')).mkdirSync(folder);
    writeFileSync(join(folder, 'a.json'), JSON.stringify(pyro(1200)));
    writeFileSync(join(folder, 'b.json'), JSON.stringify(pyro(900)));
    const f = await cli('rules', 'diff', oldFile, newFile, '--items', folder, '--json');
    expect(f.json<{ would_change: Array<{ ref: string }> }>().would_change.map((x) => x.ref)).toEqual(['a.json (pyro-1200)']);
  });

  it('diff refuses a file that is not a rule set, and a hostile deep one', async () => {
    const r = await cli('rules', 'diff', file('x.json', { hello: 1 }), file('y.json', { hello: 2 }), '--json');
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('CLASSIFICATION_RULESET_INVALID');
    const deep = file('deep.json', '{"logic":' + '{"not":'.repeat(50000) + '"x"' + '}'.repeat(50001));
    const d = await cli('rules', 'diff', deep, deep, '--json');
    expect(d.code).toBe(2);
    expect(d.json<{ error: { code: string } }>().error.code).toBe('CLASSIFICATION_RULESET_TOO_DEEP');
  });

  it('diff with a rule set whose logic names a field the item schema lacks: invalid rule set, exit 2', async () => {
    const bad = structuredClone(shippedRuleSets()[0]!.ruleSet);
    (bad.entries[0]!.parameters[0] as { name: string }).name = 'machine.colour';
    const r = await cli('rules', 'diff', file('us-a.json', ruleSetFileText(shippedRuleSets()[0]!.ruleSet)), file('us-bad.json', ruleSetFileText(bad)), '--items', file('one.jsonl', JSON.stringify(SPINE_MACHINE)), '--json');
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe('CLASSIFICATION_RULESET_INVALID');
  });

  it('compare: the harmonisation report', async () => {
    const r = await cli('rules', 'compare', '--json');
    expect(r.code).toBe(0);
    expect(r.json<{ single_regime: string[][] }>().single_regime).toContainEqual(['EU-2021/821:1C513']);
  });
});
