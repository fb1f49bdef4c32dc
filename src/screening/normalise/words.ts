/**
 * Word classes that change how much a token counts in a name.
 *
 * Honorifics and titles say nothing about who someone is and are dropped (only
 * unambiguous ones: "General", "Major" and "Captain" are also names and words of
 * company names).
 * Particles ("al", "bin", "van") and common business words ("group", "trading",
 * "concern") are kept but weigh little: two companies are not the same because
 * both are a "Trading Group".
 */
export const HONORIFICS = new Set(
  (
    'mr mrs ms miss mx dr prof professor sir dame lord lady sheikh shaikh shaykh sheik haji hajji hadji alhaji ' +
    'mullah mulla maulvi maulana mawlawi mawlana mufti qari imam ayatollah hojatoleslam hojjatoleslam ' +
    'colonel lieutenant admiral brigadier excellency honourable honorable rev reverend ' +
    // name qualifiers in list entries: "born PUTINA", "née Smith"
    'born nee'
  ).split(' '),
);

export const PARTICLES = new Set('al el ul bin ibn bint ben abu abou umm van von der den de del della di da du la le las los y e ould'.split(' '));

export const BUSINESS_WORDS = new Set(
  (
    'group groups holding holdings international intl global general national concern kontsern trading trade traders ' +
    'enterprise enterprises industries industrial industry services service technologies technology tech systems system ' +
    'solutions products manufacturing engineering import export imports exports investment investments capital development ' +
    'management logistics shipping marine energy bank plant zavod factory works institute scientific research production ' +
    'association union center centre office agency the and of for company co firm partners'
  ).split(' '),
);
