/**
 * Dates of birth as lists write them → ISO-8601 dates or prefixes.
 *
 * Lists are imprecise on purpose ("circa 1960", "1960 to 1962", "Jan 1960"), so
 * the result is a set of prefixes: a full date, a year-month or a year.
 */
const MONTHS: Record<string, string> = {
  jan: '01', feb: '02', mar: '03', apr: '04', may: '05', jun: '06',
  jul: '07', aug: '08', sep: '09', oct: '10', nov: '11', dec: '12',
};

const pad = (n: string) => n.padStart(2, '0');

function validYear(y: number): boolean {
  return y >= 1850 && y <= 2100;
}

/** Every date or date prefix found in `text`, ISO formatted; ranges of years are expanded (at most 20 years). */
export function parseDates(text: string | undefined): string[] {
  if (!text) return [];
  const out = new Set<string>();
  const s = text.trim();
  let m: RegExpExecArray | null;
  // Year ranges: "1960 to 1962", "1960-1962".
  const range = /\b(\d{4})\s*(?:to|-|–)\s*(\d{4})\b/.exec(s);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (validYear(a) && validYear(b) && b >= a && b - a <= 20) {
      for (let y = a; y <= b; y++) out.add(String(y));
      return [...out];
    }
  }
  const iso = /\b(\d{4})-(\d{1,2})-(\d{1,2})\b/g;
  while ((m = iso.exec(s))) if (validYear(Number(m[1]))) out.add(`${m[1]}-${pad(m[2]!)}-${pad(m[3]!)}`);
  // Day first (EU 26.11.1972, UK 26/11/1972); a second field above 12 can only be a US month-first date.
  const dotted = /\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b/g;
  while ((m = dotted.exec(s))) {
    let d = Number(m[1]);
    let mo = Number(m[2]);
    if (mo > 12 && d <= 12) [d, mo] = [mo, d];
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && validYear(Number(m[3]))) out.add(`${m[3]}-${pad(String(mo))}-${pad(String(d))}`);
  }
  const dmy = /\b(\d{1,2})\s+([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\b/g;
  while ((m = dmy.exec(s))) {
    const mo = MONTHS[m[2]!.toLowerCase()];
    if (mo && validYear(Number(m[3]))) out.add(`${m[3]}-${mo}-${pad(m[1]!)}`);
  }
  if (out.size > 0) return [...out];
  const my = /\b([A-Za-z]{3})[a-z]*\.?\s+(\d{4})\b/g;
  while ((m = my.exec(s))) {
    const mo = MONTHS[m[1]!.toLowerCase()];
    if (mo && validYear(Number(m[2]))) out.add(`${m[2]}-${mo}`);
  }
  if (out.size > 0) return [...out];
  const y = /\b(\d{4})\b/g;
  while ((m = y.exec(s))) if (validYear(Number(m[1]))) out.add(m[1]!);
  return [...out];
}
