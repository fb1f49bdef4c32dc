/**
 * Country names as lists write them → ISO 3166-1 alpha-2.
 *
 * The English short names come from ICU (`Intl.DisplayNames`, shipped with Node),
 * so no country table is maintained here; the extra spellings below are the ones
 * the real lists use and ICU does not ("Korea, North", "Burma", "Russian Federation").
 */
const EXTRA: Record<string, string> = {
  'russian federation': 'RU',
  ussr: 'RU',
  'iran islamic republic of': 'IR',
  'korea north': 'KP',
  'democratic peoples republic of korea': 'KP',
  'korea democratic peoples republic of': 'KP',
  'korea dprk': 'KP',
  dprk: 'KP',
  'north korea': 'KP',
  'korea south': 'KR',
  'republic of korea': 'KR',
  'korea republic of': 'KR',
  'syrian arab republic': 'SY',
  burma: 'MM',
  myanmar: 'MM',
  'democratic republic of the congo': 'CD',
  'congo democratic republic of the': 'CD',
  'republic of the congo': 'CG',
  'congo republic of the': 'CG',
  congo: 'CG',
  'united states of america': 'US',
  usa: 'US',
  'united kingdom of great britain and northern ireland': 'GB',
  'great britain': 'GB',
  uk: 'GB',
  'viet nam': 'VN',
  'lao peoples democratic republic': 'LA',
  laos: 'LA',
  turkey: 'TR',
  'czech republic': 'CZ',
  'republic of moldova': 'MD',
  'moldova republic of': 'MD',
  'tanzania united republic of': 'TZ',
  'united republic of tanzania': 'TZ',
  'venezuela bolivarian republic of': 'VE',
  'bolivia plurinational state of': 'BO',
  'palestine state of': 'PS',
  palestine: 'PS',
  'state of palestine': 'PS',
  'west bank': 'PS',
  gaza: 'PS',
  'gaza strip': 'PS',
  'ivory coast': 'CI',
  'cote divoire': 'CI',
  macedonia: 'MK',
  'the former yugoslav republic of macedonia': 'MK',
  'hong kong': 'HK',
  macau: 'MO',
  macao: 'MO',
  'the gambia': 'GM',
  'the bahamas': 'BS',
  'cape verde': 'CV',
  swaziland: 'SZ',
  'east timor': 'TL',
  'holy see': 'VA',
  'brunei darussalam': 'BN',
  'libyan arab jamahiriya': 'LY',
  uae: 'AE',
  'republic of crimea': 'UA',
  crimea: 'UA',
  'region crimea': 'UA',
  'china peoples republic of': 'CN',
  'peoples republic of china': 'CN',
  taiwan: 'TW',
  'taiwan province of china': 'TW',
  'sudan south': 'SS',
  'micronesia federated states of': 'FM',
  'saint kitts and nevis': 'KN',
  'saint vincent and the grenadines': 'VC',
  'saint lucia': 'LC',
  'sao tome and principe': 'ST',
  'bosnia and herzegovina': 'BA',
  'trinidad and tobago': 'TT',
  'antigua and barbuda': 'AG',
  'netherlands antilles': 'CW',
  'former ussr': 'RU',
};

function key(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/\bst\./g, 'saint')
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

let table: Map<string, string> | undefined;
let codes: Set<string> | undefined;

function build(): void {
  table = new Map();
  codes = new Set();
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      let name: string | undefined;
      try {
        name = names.of(code);
      } catch {
        name = undefined;
      }
      if (!name || name === code || name === 'Unknown Region') continue;
      codes.add(code);
      const k = key(name);
      if (!table.has(k)) table.set(k, code);
      // ICU writes "Myanmar (Burma)", "Congo - Kinshasa": index each part as well.
      const paren = /^(.*?)\s*\((.*)\)$/.exec(name);
      if (paren) {
        table.set(key(paren[1]!), code);
        table.set(key(paren[2]!), code);
      }
    }
  }
  for (const [k, v] of Object.entries(EXTRA)) table.set(key(k), v);
}

/** ISO 3166-1 alpha-2 for a country name or code, or undefined when unknown. */
export function countryCode(nameOrCode: string | undefined): string | undefined {
  if (!nameOrCode) return undefined;
  if (!table) build();
  const t = nameOrCode.trim();
  if (t.length === 2 && /^[a-z]{2}$/i.test(t)) {
    const up = t.toUpperCase();
    if (up === 'UK') return 'GB';
    return codes!.has(up) ? up : undefined;
  }
  const k = key(t);
  const direct = table!.get(k);
  if (direct) return direct;
  // "Tehran, Iran" or "Russia (as of 2019)": take the last comma part, then drop notes in parentheses.
  const last = k.split(' ').length > 1 ? key(t.split(',').pop()!.replace(/\(.*\)/, '')) : k;
  return table!.get(last);
}

/** Unique, resolvable country codes of several names. */
export function countryCodes(names: Iterable<string | undefined>): string[] {
  const out = new Set<string>();
  for (const n of names) {
    const c = countryCode(n);
    if (c) out.add(c);
  }
  return [...out];
}
