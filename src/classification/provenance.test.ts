/**
 * The committed rule files and JSON Schemas are exactly what the scripts make
 * from the reference data and the zod schemas: the provenance is reproducible.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../shared/test-support/shared-data.js';
import { schemaFiles } from './generate-schemas.js';
import { convertEntries, readSources, ruleSetFileText } from './rules/import-entries.js';
import { shippedRuleSets } from './rules/index.js';

const here = (name: string) => new URL(name, import.meta.url);

describe('rule files', () => {
  const converted = convertEntries(readSources(sharedData('control-lists')));

  it('are the output of import-entries.ts on entries.json, byte for byte', () => {
    expect(converted.map((r) => r.id).sort()).toEqual(['ca-ecl', 'es-national', 'eu-2021-821', 'uk', 'us-ear', 'wassenaar']);
    for (const rs of converted) expect(readFileSync(here(`rules/${rs.id}.json`), 'utf8'), rs.id).toBe(ruleSetFileText(rs));
  });

  it('keep every key of entries.json exactly, once', () => {
    const raw = JSON.parse(readFileSync(sharedData('control-lists', 'entries.json'), 'utf8')) as Array<{ key: string; regime: string }>;
    const keys = shippedRuleSets().flatMap((s) => s.ruleSet.entries.map((e) => e.key));
    expect(keys.sort()).toEqual(raw.map((e) => e.key).sort());
    for (const e of raw) {
      const set = shippedRuleSets().find((s) => s.ruleSet.entries.some((x) => x.key === e.key))!;
      expect(set.ruleSet.regime).toBe(e.regime);
    }
  });

  it('carry version, dates, provenance hashes and a citation per entry', () => {
    const entriesHash = (converted[0]!.provenance.sources[0]!.sha256);
    for (const { ruleSet: r } of shippedRuleSets()) {
      expect(r.version).toMatch(/^\d{4}-\d{2}-\d{2}\.\d+$/);
      expect(r.review_date > r.provenance.compiled).toBe(true);
      expect(r.sunset_date! > r.review_date).toBe(true);
      expect(r.provenance.sources[0]!.sha256).toBe(entriesHash);
      for (const e of r.entries) expect(Object.keys(e.source).length, e.key).toBeGreaterThan(0);
    }
  });

  it('keep every unmodelled text of the source as an unmodelled node', () => {
    const raw = JSON.parse(readFileSync(sharedData('control-lists', 'entries.json'), 'utf8')) as Array<{ key: string; logic: unknown }>;
    const all = new Map(shippedRuleSets().flatMap((s) => s.ruleSet.entries.map((e) => [e.key, JSON.stringify(e.branches)] as const)));
    for (const e of raw) {
      for (const m of JSON.stringify(e.logic).matchAll(/"unmodelled":("[^"]*")/g)) {
        const text = JSON.parse(m[1]!) as string;
        expect(all.get(e.key), e.key).toContain(JSON.stringify(text).slice(1, -1));
      }
    }
  });
});

describe('published JSON Schemas', () => {
  it('item.schema.json and rules/ruleset.schema.json are current', () => {
    for (const [name, text] of Object.entries(schemaFiles())) expect(readFileSync(here(name), 'utf8'), name).toBe(text);
  });
});
