import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FILES } from '../test-support/lists.js';
import { foldToken, skeleton } from './fold.js';
import { LEGAL_FORM_TOKENS } from './legal-forms.js';
import { TokenKind, normaliseName, normalisedText } from './name.js';

const norm = (s: string) => normaliseName(s).tokens;

describe('normaliseName', () => {
  it('folds case, diacritics, punctuation and dotted abbreviations', () => {
    expect(norm('  MÜLLER-Lüdenscheidt, Zoë ')).toEqual(['muller', 'ludenscheidt', 'zoe']);
    expect(norm("O'Brien")).toEqual(['obrien']);
    expect(norm('CECOEX, S.A.')).toEqual(['cecoex', '@jsc']);
    expect(norm('ＡＢＣ　Ｔｒａｄｉｎｇ')).toEqual(['abc', 'trading']); // NFKC: full-width forms
  });

  it('transliterates Cyrillic, Greek, Arabic, Chinese and Korean into Latin', () => {
    expect(norm('Владимир Путин')).toEqual(['vladimir', 'putin']);
    expect(norm('Αλέξανδρος')).toEqual(['alexandros']);
    expect(norm('习近平')).toEqual(['xi', 'jin', 'ping']);
    expect(norm('김정은')).toEqual(['gim', 'jeong', 'eun']);
    const arabic = normaliseName('محمد علي');
    expect(arabic.tokens).toEqual(['mhmd', 'ly']);
    expect(arabic.abjad).toEqual([true, true]);
  });

  it('maps legal-form equivalents in any script to one canonical token', () => {
    const jsc = ['JSC Concern Sirius', 'AO Concern Sirius', 'АО «Концерн Сириус»', 'ОАО Концерн Сириус', 'Otkrytoe Aktsionernoe Obshchestvo Kontsern Sirius', 'Открытое акционерное общество «Концерн «Сириус»', 'PAO Kontsern Sirius', 'ZAO Kontsern Sirius', 'Open Joint Stock Company Concern Sirius'];
    for (const n of jsc) expect(normaliseName(n).folded, n).toEqual(['@jsc', 'konCern', 'sirius']);
    const llc = ['LLC Romashka', 'OOO Romashka', 'ООО «Ромашка»', 'Obshchestvo s Ogranichennoy Otvetstvennostyu Romashka', 'Общество с ограниченной ответственностью «Ромашка»', 'Romashka GmbH', 'Romashka Limited Liability Company', 'Romashka Co., Ltd.', 'TOV Romashka'];
    for (const n of llc) expect(normaliseName(n).tokens.filter((t) => t.startsWith('@')), n).toEqual(['@llc']);
  });

  it('keeps ambiguous short forms as words inside a name and in persons', () => {
    expect(norm('Banco Sa Nostra Holding')).toContain('sa');
    expect(normaliseName('Pat Ao', { person: true }).tokens).toEqual(['pat', 'ao']);
  });

  it('drops honorifics but not names that are also titles', () => {
    const n = normaliseName('Dr. Sheikh Ayman al-Zawahiri');
    expect(n.tokens).toEqual(['ayman', 'al', 'zawahiri']);
    expect(n.dropped).toEqual(['dr', 'sheikh']);
    expect(norm('General Motors Company')).toEqual(['general', 'motors', 'company']);
    expect(norm('Dr')).toEqual(['dr']);
  });

  it('classes tokens by how much they should count', () => {
    const n = normaliseName('Al Noor Trading Group LLC 360');
    expect(n.kinds).toEqual([TokenKind.Particle, TokenKind.Name, TokenKind.Business, TokenKind.Business, TokenKind.Legal, TokenKind.Number]);
  });

  it('is idempotent and never throws, whatever the input (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (s) => {
        const once = normalisedText(s);
        expect(normalisedText(once)).toBe(once);
        for (const t of normaliseName(s).tokens) expect(t).toMatch(/^(@[a-z]+|[a-z0-9]+)$/);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('OOO', 'АО', 'Dr.', 'al-', 'S.A.', 'Концерн', 'Sirius', 'GmbH', 'Мария', '习', 'محمد', ' ', ',', '"', 'Pat', 'Ltd'), { maxLength: 8 }), (parts) => {
        const s = parts.join(' ');
        expect(normalisedText(normalisedText(s))).toBe(normalisedText(s));
      }),
      { numRuns: 2000 },
    );
    expect(() => normaliseName(undefined as unknown as string)).not.toThrow();
    expect(normaliseName('x'.repeat(100_000)).tokens).toHaveLength(1);
  });
});

describe('romanisation folding', () => {
  it.each([
    ['kontsern', 'concern'],
    ['obshchestvo', 'obschestvo'],
    ['aktsionernoe', 'akcionernoe'],
    ['otkrytoe', 'otkrytoye'],
    ['yevgeny', 'evgenii'],
    ['sergey', 'sergei'],
    ['khabarov', 'habarov'],
    ['tsoi', 'tsoy'],
    ['shchukin', 'schukin'],
    ['yuri', 'iuri'],
    ['mariya', 'maria'],
    ['mahmoud', 'mahmud'],
    ['mohammed', 'mohamed'],
    ['aleksandr', 'alexandr'],
    ['jeong', 'jong'],
    ['vasiliy', 'vasilij'],
    ['smirnoff', 'smirnov'],
  ])('%s and %s fold alike', (a, b) => {
    expect(foldToken(a)).toBe(foldToken(b));
  });

  it('keeps different names apart', () => {
    expect(foldToken('sirius')).not.toBe(foldToken('syriss'));
    expect(foldToken('ivanov')).not.toBe(foldToken('ivanova'));
  });

  it('compares abjad transliterations by consonant skeleton', () => {
    expect(skeleton(foldToken('mahmoud'))).toBe(skeleton(foldToken(normaliseName('محمود').tokens[0]!)));
    expect(skeleton(foldToken('hassan'))).toBe(skeleton(foldToken(normaliseName('حسن').tokens[0]!)));
  });
});

describe('legal forms against the OpenSanctions rigour org_types database', () => {
  // Entries whose `display` names a form this table covers, and the family it must map to.
  const expected: Record<string, string> = { JSC: '@jsc', PJSC: '@jsc', OAO: '@jsc', ZAO: '@jsc', AO: '@jsc', OOO: '@llc', LLC: '@llc', GmbH: '@llc', TOV: '@llc', 'Ltd.': '@llc' };
  it('maps the spellings listed under those forms to the same family', () => {
    const yml = readFileSync(FILES.orgTypes, 'utf-8');
    const blocks = yml.split(/\n\s*- display: /).slice(1);
    let checked = 0;
    let mapped = 0;
    const misses: string[] = [];
    for (const b of blocks) {
      const display = b.split('\n', 1)[0]!.replace(/\s*#.*$/, '').trim();
      const family = expected[display];
      if (!family) continue;
      const aliases = [...b.matchAll(/^\s+- (.+)$/gm)].map((m) => m[1]!.replace(/\s*#.*$/, '').trim()).filter((a) => a && !a.includes(':'));
      for (const a of [display, ...aliases]) {
        checked++;
        const toks = normaliseName(`${a} Romashka`).tokens;
        if (toks[0] === family && toks.length === 2) mapped++;
        else misses.push(`${display}: ${a} → ${toks.join(' ')}`);
      }
    }
    expect(checked).toBeGreaterThan(100);
    // Most spellings map; the rest are misspellings of the kind typo matching covers.
    expect(mapped / checked).toBeGreaterThan(0.6);
    expect(LEGAL_FORM_TOKENS).toEqual(expect.arrayContaining([...new Set(Object.values(expected))]));
    void misses;
  });
});
