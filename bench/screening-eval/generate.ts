/**
 * Labelled evaluation set for party screening, generated from the real lists.
 *
 * Positives are variants of a listed name of the kinds screening meets in
 * practice, each labelled with the entity (list + entity_id) it must find:
 *
 *   typo          one or two keyboard slips (substitution by a neighbouring key,
 *                 deletion, doubled letter, transposition) in words of 5+ letters
 *   romanisation  the entity's Cyrillic name written in another system (ICAO
 *                 Doc 9303 as in Russian passports, or German Duden), or, for
 *                 names without a Cyrillic form, the Latin name re-spelt with the
 *                 choices those systems make (kh/h, ts/tz, y/j/i, ya/ja/ia, …)
 *   word_order    given names and surname swapped, legal form moved to the other end
 *   legal_form    the legal form replaced by an equivalent (JSC ↔ AO ↔ "Joint Stock
 *                 Company", LLC ↔ OOO ↔ GmbH ↔ Ltd), or added when there is none
 *   alias         one of the entity's strong aliases in Latin script
 *   partial       one middle word left out (a patronymic, a second given name, a
 *                 business word)
 *   script        the entity's original-script name (Cyrillic, Arabic, Chinese)
 *
 * Negatives look similar but are other parties:
 *
 *   substituted   a listed name with its rarest word replaced by a word of similar
 *                 length that no listed name uses ("Vladimir Putin" → "Vladimir
 *                 Pelham"), dropped when the result still contains every word of
 *                 some listed name (that would be a fair hit)
 *   lookalike     a listed company's distinctive word plus two ordinary business
 *                 words and a legal form ("Sirius Precision Optics GmbH")
 *   person        synthetic people designed not to match any sanctioned party
 *                 (OpenSanctions qarin negatives, shipped with yente)
 *
 * Deterministic for a seed. Run `npx tsx bench/screening-eval/generate.ts > set.jsonl`
 * to see the set; the benchmark calls `generateEvaluationSet` directly.
 */
import type { ListEntity } from '../../src/screening/model.js';
import { normaliseName, normalisedText } from '../../src/screening/normalise/name.js';

export type VariantKind = 'typo' | 'romanisation' | 'word_order' | 'legal_form' | 'alias' | 'partial' | 'script';
export type NegativeKind = 'substituted' | 'lookalike' | 'person';

export interface EvalCase {
  query: string;
  type?: 'person' | 'organisation';
  kind: VariantKind | NegativeKind;
  /** The entity a positive must find; absent for negatives. */
  expected?: { list: string; entity_id: string };
  /** The listed name the variant was made from. */
  source?: string;
}

/** mulberry32: a small seeded PRNG (reproducible sampling; not for security). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYBOARD = ['qwertyuiop', 'asdfghjkl', 'zxcvbnm'];
function neighbourKey(c: string, rnd: () => number): string {
  const lower = c.toLowerCase();
  for (let r = 0; r < KEYBOARD.length; r++) {
    const i = KEYBOARD[r]!.indexOf(lower);
    if (i < 0) continue;
    const opts = [KEYBOARD[r]![i - 1], KEYBOARD[r]![i + 1], KEYBOARD[r - 1]?.[i], KEYBOARD[r + 1]?.[i]].filter((x): x is string => !!x);
    const k = opts[Math.floor(rnd() * opts.length)]!;
    return c === lower ? k : k.toUpperCase();
  }
  return c;
}

function typoWord(w: string, rnd: () => number): string {
  const i = 1 + Math.floor(rnd() * (w.length - 2));
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return w.slice(0, i) + neighbourKey(w[i]!, rnd) + w.slice(i + 1);
    case 1:
      return w.slice(0, i) + w.slice(i + 1);
    case 2:
      return w.slice(0, i) + w[i] + w.slice(i);
    default:
      return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
  }
}

/** Russian Cyrillic in ICAO Doc 9303 (Russian passports since 2013) and German (Duden) romanisation. */
const ICAO: Record<string, string> = { а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch', ъ: 'ie', ы: 'y', ь: '', э: 'e', ю: 'iu', я: 'ia', і: 'i', ї: 'i', є: 'ie', ґ: 'g', ў: 'u' };
const GERMAN: Record<string, string> = { ...ICAO, в: 'w', ж: 'sch', з: 's', й: 'i', х: 'ch', ц: 'z', ч: 'tsch', ш: 'sch', щ: 'schtsch', ъ: '', ы: 'y', ю: 'ju', я: 'ja', е: 'e', ё: 'jo', є: 'je' };

function transliterate(s: string, table: Record<string, string>): string {
  let out = '';
  for (const ch of s) {
    const lower = ch.toLowerCase();
    const t = table[lower];
    if (t === undefined) out += ch;
    else out += ch === lower ? t : t.charAt(0).toUpperCase() + t.slice(1);
  }
  return out;
}

/** Latin re-spellings that romanisation systems differ on. */
const RESPELL: Array<[RegExp, string]> = [
  [/kh/gi, 'h'],
  [/ts/gi, 'tz'],
  [/shch/gi, 'sch'],
  [/yu/gi, 'iu'],
  [/ya/gi, 'ja'],
  [/iy\b/gi, 'ij'],
  [/y\b/gi, 'i'],
  [/ye/gi, 'e'],
  [/v/gi, 'w'],
  [/ou/gi, 'u'],
  [/u/gi, 'ou'],
  [/mm/gi, 'm'],
  [/ss/gi, 's'],
  [/ck/gi, 'k'],
];

function respell(name: string, rnd: () => number): string | undefined {
  const order = [...RESPELL].sort(() => rnd() - 0.5);
  for (const [re, to] of order) {
    re.lastIndex = 0;
    if (re.test(name)) {
      re.lastIndex = 0;
      const out = name.replace(re, (m) => (m[0] === m[0]!.toUpperCase() ? to.toUpperCase() : to));
      if (out !== name) return out;
    }
  }
  return undefined;
}

const LEGAL: Array<{ re: RegExp; family: 'jsc' | 'llc' }> = [
  { re: /\b(?:OJSC|CJSC|PJSC|JSC|OAO|ZAO|PAO|AO|Joint[- ]Stock Company|Open Joint[- ]Stock Company)\b/i, family: 'jsc' },
  { re: /\b(?:LLC|OOO|Limited Liability Company|GmbH|Ltd\.?|Limited|Co\.,? Ltd\.?)\b/i, family: 'llc' },
];
const EQUIV = { jsc: ['JSC', 'AO', 'OAO', 'Joint Stock Company', 'PJSC', 'Aktsionernoe Obshchestvo'], llc: ['LLC', 'OOO', 'Limited Liability Company', 'GmbH', 'Ltd', 'Obshchestvo s Ogranichennoy Otvetstvennostyu'] };

const BUSINESS = ['Precision', 'Optics', 'Dental', 'Bakery', 'Logistics', 'Media', 'Farms', 'Textiles', 'Solar', 'Pharma', 'Robotics', 'Coffee', 'Software', 'Furniture', 'Medical', 'Printing', 'Consulting', 'Packaging', 'Foods', 'Apparel', 'Analytics', 'Design', 'Tooling', 'Plastics'];
const FORMS = ['GmbH', 'Ltd', 'Inc.', 'S.A.', 'B.V.', 'LLC', 'AB', 'S.r.l.', 'Pty Ltd', 'SAS'];

const words = (s: string) => s.split(/\s+/).filter((w) => w);
const latin = (s: string) => !/[^\p{Script=Latin}\p{Script=Common}\p{Script=Inherited}]/u.test(s);
const cyrillic = (s: string) => /\p{Script=Cyrillic}/u.test(s);
const otherScript = (s: string) => /[\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Han}\p{Script=Hangul}\p{Script=Greek}]/u.test(s);

export interface GenerateOptions {
  seed?: number;
  /** Positives per variant kind (at most; some kinds apply to fewer entities). */
  perKind?: number;
  /** Negatives per negative kind. */
  negativesPerKind?: number;
  /** Synthetic person names known not to be on any list (full names). */
  personNegatives?: string[];
}

/** Build the labelled set from the entities of the real lists. */
export function generateEvaluationSet(entities: ListEntity[], opts: GenerateOptions = {}): EvalCase[] {
  const rnd = prng(opts.seed ?? 20260827);
  const perKind = opts.perKind ?? 300;
  const negPerKind = opts.negativesPerKind ?? 700;
  const pool = entities.filter((e) => (e.type === 'person' || e.type === 'organisation') && latin(e.name) && words(e.name).some((w) => w.length >= 4));
  const shuffled = [...pool].sort(() => rnd() - 0.5);
  const listed = new Set(entities.flatMap((e) => [e.name, ...e.aliases.map((a) => a.name)]).map((n) => normalisedText(n)));
  const out: EvalCase[] = [];
  const expected = (e: ListEntity) => ({ list: e.list, entity_id: e.entity_id });
  const push = (kind: VariantKind, e: ListEntity, query: string | undefined) => {
    if (!query || query === e.name || !query.trim()) return false;
    out.push({ query, type: e.type === 'person' ? 'person' : 'organisation', kind, expected: expected(e), source: e.name });
    return true;
  };
  const make: Record<VariantKind, (e: ListEntity) => string | undefined> = {
    typo: (e) => {
      const ws = words(e.name);
      const idx = ws.map((w, i) => (w.replace(/\W/g, '').length >= 5 ? i : -1)).filter((i) => i >= 0);
      if (idx.length === 0) return undefined;
      const i = idx[Math.floor(rnd() * idx.length)]!;
      ws[i] = typoWord(ws[i]!, rnd);
      if (idx.length > 1 && rnd() < 0.3) {
        const j = idx.find((x) => x !== i)!;
        ws[j] = typoWord(ws[j]!, rnd);
      }
      return ws.join(' ');
    },
    romanisation: (e) => {
      const cyr = e.aliases.find((a) => cyrillic(a.name));
      if (cyr) return transliterate(cyr.name, rnd() < 0.5 ? ICAO : GERMAN);
      return respell(e.name, rnd);
    },
    word_order: (e) => {
      const comma = e.name.split(',');
      if (comma.length === 2 && e.type === 'person') return `${comma[1]!.trim()} ${comma[0]!.trim()}`;
      const ws = words(e.name.replace(/,/g, ''));
      if (ws.length < 2) return undefined;
      return e.type === 'person' ? [ws[ws.length - 1]!, ...ws.slice(0, -1)].join(' ') : [...ws.slice(1), ws[0]!].join(' ');
    },
    legal_form: (e) => {
      if (e.type !== 'organisation') return undefined;
      for (const { re, family } of LEGAL) {
        const m = re.exec(e.name);
        if (!m) continue;
        const alts = EQUIV[family].filter((x) => x.toLowerCase() !== m[0].toLowerCase());
        return e.name.replace(re, alts[Math.floor(rnd() * alts.length)]!);
      }
      return `${e.name} ${rnd() < 0.5 ? 'LLC' : 'JSC'}`;
    },
    alias: (e) => {
      const as = e.aliases.filter((a) => a.quality !== 'weak' && latin(a.name) && normalisedText(a.name) !== normalisedText(e.name) && words(a.name).some((w) => w.length >= 4));
      return as.length ? as[Math.floor(rnd() * as.length)]!.name : undefined;
    },
    partial: (e) => {
      const ws = words(e.name.replace(/,/g, ''));
      if (ws.length < 3) return undefined;
      const i = 1 + Math.floor(rnd() * (ws.length - 2));
      return [...ws.slice(0, i), ...ws.slice(i + 1)].join(' ');
    },
    script: (e) => {
      const o = e.aliases.find((a) => otherScript(a.name));
      return o?.name;
    },
  };
  for (const kind of Object.keys(make) as VariantKind[]) {
    let n = 0;
    for (const e of shuffled) {
      if (n >= perKind) break;
      if (push(kind, e, make[kind](e))) n++;
    }
  }
  // Negatives. "substituted": the name's rarest word (by how many listed names use it) is replaced by a
  // word of similar length that no listed name uses, taken from the synthetic person names.
  const df = new Map<string, number>();
  const allNames = entities.flatMap((e) => [e.name, ...e.aliases.map((a) => a.name)]);
  for (const name of allNames) for (const t of new Set(normaliseName(name).tokens)) df.set(t, (df.get(t) ?? 0) + 1);
  // A query that contains every word of some listed name is a fair hit whatever it adds: not a negative.
  const listedSets = new Set(allNames.map((nm) => [...new Set(normaliseName(nm).tokens)].sort().join(' ')));
  const containsListedName = (q: string) => {
    const toks = [...new Set(normaliseName(q).tokens)].sort().slice(0, 10);
    for (let mask = 1; mask < 1 << toks.length; mask++) {
      const sub = toks.filter((_, i) => mask & (1 << i)).join(' ');
      if (listedSets.has(sub)) return true;
    }
    return false;
  };
  const fresh = [...new Set((opts.personNegatives ?? []).flatMap((p) => words(p)).filter((w) => /^\p{Script=Latin}{4,}$/u.test(w) && !df.has(normaliseName(w).tokens[0] ?? '')))];
  const isLegalForm = (w: string) => normaliseName(`X ${w}`).tokens[1]?.startsWith('@') === true;
  let n = 0;
  for (const e of shuffled) {
    if (n >= negPerKind || fresh.length === 0) break;
    const ws = words(e.name.replace(/,/g, ''));
    if (ws.length < 2) continue;
    let li = -1;
    let best = Infinity;
    for (let i = 0; i < ws.length; i++) {
      const t = normaliseName(ws[i]!).tokens;
      if (t.length !== 1 || t[0]!.length < 4 || t[0]!.startsWith('@') || isLegalForm(ws[i]!)) continue;
      const f = df.get(t[0]!) ?? 0;
      if (f < best) {
        best = f;
        li = i;
      }
    }
    if (li < 0) continue;
    const target = ws[li]!;
    let replacement: string | undefined;
    for (let tries = 0; tries < 30 && !replacement; tries++) {
      const w = fresh[Math.floor(rnd() * fresh.length)]!;
      if (Math.abs(w.length - target.length) <= 2 && w[0]!.toLowerCase() !== target[0]!.toLowerCase()) replacement = target === target.toUpperCase() ? w.toUpperCase() : w;
    }
    if (!replacement) continue;
    ws[li] = replacement;
    const q = ws.join(' ');
    if (containsListedName(q)) continue;
    out.push({ query: q, type: e.type === 'person' ? 'person' : 'organisation', kind: 'substituted', source: e.name });
    n++;
  }
  n = 0;
  for (const e of shuffled) {
    if (n >= negPerKind) break;
    if (e.type !== 'organisation') continue;
    const ws = words(e.name).filter((w) => /^\p{L}{4,}$/u.test(w) && !LEGAL.some((l) => l.re.test(w)));
    if (ws.length === 0) continue;
    const distinctive = ws.reduce((a, b) => (b.length > a.length ? b : a));
    const b1 = BUSINESS[Math.floor(rnd() * BUSINESS.length)]!;
    let b2 = BUSINESS[Math.floor(rnd() * BUSINESS.length)]!;
    if (b2 === b1) b2 = BUSINESS[(BUSINESS.indexOf(b1) + 1) % BUSINESS.length]!;
    const q = `${distinctive.charAt(0).toUpperCase()}${distinctive.slice(1).toLowerCase()} ${b1} ${b2} ${FORMS[Math.floor(rnd() * FORMS.length)]}`;
    if (listed.has(normalisedText(q))) continue;
    out.push({ query: q, type: 'organisation', kind: 'lookalike', source: e.name });
    n++;
  }
  const persons = [...(opts.personNegatives ?? [])].sort(() => rnd() - 0.5).slice(0, negPerKind);
  for (const p of persons) out.push({ query: p, type: 'person', kind: 'person' });
  return out;
}

// `npx tsx bench/screening-eval/generate.ts`: print the set as JSON lines.
if (import.meta.url === `file://${process.argv[1]}`) {
  const { loadEvaluationInputs } = await import('./inputs.js');
  const { entities, personNegatives } = await loadEvaluationInputs();
  for (const c of generateEvaluationSet(entities, { personNegatives })) process.stdout.write(JSON.stringify(c) + '\n');
}
