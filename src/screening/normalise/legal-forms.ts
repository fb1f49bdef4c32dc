/**
 * Legal-form equivalents → one canonical token per family, so "OOO", "ООО",
 * "Obshchestvo s Ogranichennoy Otvetstvennostyu", "LLC" and "Limited Liability
 * Company" read the same, and "JSC", "AO", "АО", "OAO", "PAO", "ZAO" and
 * "Otkrytoe Aktsionernoe Obshchestvo" read the same. Canonical tokens start with
 * "@" so they never collide with a word of a name; the matcher weighs them down.
 *
 * Families (after the "generic" classes used by OpenSanctions' rigour
 * org_types database, which the tests check this table against):
 *   @jsc  joint-stock / public / stock corporations (JSC, AO, OAO, ZAO, PAO, AG, SA, PLC, NV, SpA, KK)
 *   @llc  limited liability (LLC, OOO, TOV, GmbH, Ltd, SARL, SRL, s.r.o., sp. z o.o., BV, Kft, d.o.o., FZE/FZCO)
 *   @corp corporations and incorporated companies (Inc, Corp)
 *   @lp   partnerships (LP, LLP, KG)
 *   @soe  state and municipal unitary enterprises (FGUP, GUP, MUP)
 *   @npo  non-commercial organisations (ANO, NKO)
 * Phrases are written here in one common romanisation; matching compares folded
 * tokens (see fold.ts), so other romanisations of the same phrase match too.
 */
import { foldToken } from './fold.js';

const FAMILIES: Record<string, string[]> = {
  '@jsc': [
    'joint stock company', 'joint-stock company', 'jsc', 'ojsc', 'cjsc', 'pjsc', 'jscb', 'ao', 'oao', 'zao', 'pao', 'nao',
    'aktsionernoe obshchestvo', 'aktsionernoye obshchestvo', 'otkrytoe aktsionernoe obshchestvo', 'zakrytoe aktsionernoe obshchestvo',
    'publichnoe aktsionernoe obshchestvo', 'nepublichnoe aktsionernoe obshchestvo', 'aktsionernoe obshchestvo otkrytogo tipa',
    'aktsionernoe obshchestvo zakrytogo tipa', 'public joint stock company', 'open joint stock company', 'closed joint stock company',
    'open joint-stock company', 'closed joint-stock company', 'public joint-stock company', 'joint stock co', 'js co', 'jsc company',
    'joint stock corp', 'joint stock corporation', 'public stock company', 'public jsc', 'public joint stock co',
    'aktsionerne tovarystvo', 'pryvatne aktsionerne tovarystvo', 'publichne aktsionerne tovarystvo', 'prat',
    'aktsiyanernae tavarystva',
    'ag', 'aktiengesellschaft', 'sa', 'spa', 'sab de cv', 'sa de cv', 'societe anonyme', 'sociedad anonima', 'societa per azioni',
    'plc', 'public limited company', 'nv', 'naamloze vennootschap', 'kabushiki kaisha', 'kk', 'asa', 'oyj',
    'anonim sirketi', 'tbk', 'pt', 'bhd', 'berhad', 'public company limited', 'pcl',
  ],
  '@llc': [
    'llc', 'l l c', 'limited liability company', 'limited liability co', 'limited liability corp', 'limited liability corporation',
    'ltd liability company', 'ltd liability co', 'private limited liability company', 'foreign limited liability company', 'limited liability partnership company', 'ooo', 'obshchestvo s ogranichennoy otvetstvennostyu',
    'obshchestvo s ogranichennoi otvetstvennostiu', 'tov', 'tovarystvo z obmezhenoyu vidpovidalnistyu', 'too', 'tovarishchestvo s ogranichennoy otvetstvennostyu',
    'tavarystva z abmezhavanay adkaznastsyu', 'mchj',
    'gmbh', 'gesellschaft mit beschrankter haftung', 'gesellschaft mit beschraenkter haftung', 'mbh', 'gesellschaft mbh', 'ges mbh', 'gesmbh', 'ug', 'ltd', 'limited', 'co ltd', 'company limited', 'co limited', 'pte ltd', 'pty ltd',
    'private limited', 'pvt ltd', 'private limited company', 'sarl', 'srl', 'sro', 'spol s ro', 'sp z oo', 'spolka z oo', 'bv', 'besloten vennootschap',
    'kft', 'doo', 'dooel', 'ltda', 'sdn bhd', 'fze', 'fzco', 'fz llc', 'fzllc', 'fzc', 'sas', 'eurl', 'aps', 'slu', 'lda',
    'limited liability partnership',
  ],
  '@corp': ['inc', 'incorporated', 'corp', 'corporation', 'korporatsiya', 'corporacion', 'corporation limited'],
  '@lp': ['lp', 'llp', 'limited partnership', 'kg', 'kommanditgesellschaft', 'gmbh co kg', 'gmbh and co kg', 'ohg', 'snc', 'partnership'],
  '@soe': [
    'fgup', 'gup', 'mup', 'fku', 'fgbu', 'fgau', 'federalnoe gosudarstvennoe unitarnoe predpriyatie', 'gosudarstvennoe unitarnoe predpriyatie',
    'munitsipalnoe unitarnoe predpriyatie', 'federal state unitary enterprise', 'state unitary enterprise', 'unitary enterprise',
    'federal state budgetary institution', 'federal state institution', 'rup', 'respublikanskoe unitarnoe predpriyatie', 'republican unitary enterprise',
    'derzhavne pidpryiemstvo', 'state enterprise', 'state owned enterprise',
  ],
  '@npo': ['ano', 'avtonomnaya nekommercheskaya organizatsiya', 'autonomous non-profit organization', 'autonomous non-commercial organization', 'nko', 'nekommercheskaya organizatsiya', 'non-profit organization', 'ngo'],
};

interface Trie {
  next: Map<string, Trie>;
  canonical?: string;
}

const root: Trie = { next: new Map() };
let longest = 0;
for (const [canonical, phrases] of Object.entries(FAMILIES)) {
  for (const p of phrases) {
    const toks = p
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((x) => x)
      .map(foldToken);
    let node = root;
    for (const t of toks) {
      let n = node.next.get(t);
      if (!n) {
        n = { next: new Map() };
        node.next.set(t, n);
      }
      node = n;
    }
    node.canonical ??= canonical;
    longest = Math.max(longest, toks.length);
  }
}

/**
 * Short forms that are also words or names ("AO", "SA", "PT", "KG") count only at
 * either end of a name; these unambiguous ones count anywhere.
 */
const UNAMBIGUOUS = new Set(['ooo', 'oao', 'zao', 'pao', 'jsc', 'ojsc', 'cjsc', 'pjsc', 'llc', 'ltd', 'inc', 'plc', 'tov', 'gmbh', 'fgup', 'corp'].map(foldToken));

/** Whether a one-token legal form found at position i of n tokens really is one. */
export function singleFormCounts(folded: string, i: number, n: number): boolean {
  return UNAMBIGUOUS.has(folded) || (n > 1 && (i === 0 || i === n - 1));
}

/** All canonical legal-form tokens. */
export const LEGAL_FORM_TOKENS = Object.keys(FAMILIES);

/**
 * The longest legal-form phrase starting at `folded[i]`: its canonical token and
 * how many tokens it spans, or undefined.
 */
export function legalFormAt(folded: readonly string[], i: number): { canonical: string; length: number } | undefined {
  let node: Trie | undefined = root;
  let best: { canonical: string; length: number } | undefined;
  for (let k = i; k < folded.length && k - i < longest; k++) {
    node = node.next.get(folded[k]!);
    if (!node) break;
    if (node.canonical) best = { canonical: node.canonical, length: k - i + 1 };
  }
  return best;
}
