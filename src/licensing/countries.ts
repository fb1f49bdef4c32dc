/**
 * Country codes: ISO 3166-1 alpha-2 as ICU names them. Codes ICU knows but
 * that are not countries (EU, UN, EZ, QO, ZZ) and the reserved or withdrawn
 * codes (UK, FX, DD, …) are not destinations.
 */
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'UK', 'FX', 'DD', 'SU', 'YU', 'CS', 'ZR', 'TP', 'BU', 'AN', 'NT', 'YD', 'VD', 'RH', 'HV', 'DY', 'NH', 'NQ', 'PZ', 'EA', 'IC', 'CP', 'DG', 'TA', 'AC']);

/** true when `code` is an upper-case ISO 3166-1 alpha-2 code of a country or territory. */
export function isCountryCode(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code)) return false;
  return regionNames.of(code) !== undefined;
}

/** The English name of a country code (the code itself when unknown). */
export function countryName(code: string): string {
  return regionNames.of(code) ?? code;
}
