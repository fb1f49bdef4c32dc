/**
 * Which list format a file is, from its first bytes (never from its name).
 */
import { FabgateError } from '../../shared/errors.js';
import type { ListFormat } from '../model.js';
import { ofacCsvRole, type OfacCsvRole } from './ofac-csv.js';

export type Detected =
  | { format: 'ofac-xml' }
  | { format: 'ofac-csv'; role: OfacCsvRole }
  | { format: 'csl'; variant: 'csv' | 'json' }
  | { format: 'un' }
  | { format: 'eu'; variant: 'fsf-xml' | 'oj-csv' }
  | { format: 'uk' }
  | { format: 'ftm'; variant: 'jsonl' | 'targets-csv' }
  | { format: 'bis-dpl' }
  | { format: 'dod-1260h' };

/** The first CSV record of a text (quotes respected), or undefined when the head ends inside it. */
export function firstCsvRecord(text: string, delimiter = ','): string[] | undefined {
  const out: string[] = [];
  let field = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else q = false;
      } else field += c;
    } else if (c === '"' && field.trim() === '') {
      q = true;
      field = '';
    } else if (c === delimiter) {
      out.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      out.push(field);
      return out;
    } else field += c;
  }
  return undefined;
}

function xmlRoot(text: string): string | undefined {
  // Skip the XML declaration, comments, processing instructions and a DOCTYPE.
  const re = /<([A-Za-z_][\w.:-]*)[\s>/]/g;
  const m = re.exec(text);
  if (!m) return undefined;
  const name = m[1]!;
  return name.includes(':') ? name.slice(name.indexOf(':') + 1) : name;
}

/** Detect the format of a file from its head; undefined when it is none of the known formats. */
export function detectFormat(headBytes: Uint8Array): Detected | undefined {
  const text = new TextDecoder('utf-8').decode(headBytes).replace(/^\uFEFF/, '');
  const t = text.trimStart();
  if (t.startsWith('<')) {
    const root = xmlRoot(t);
    if (root === 'CONSOLIDATED_LIST') return { format: 'un' };
    if (root === 'sdnList') return { format: 'ofac-xml' };
    if (root === 'export') return { format: 'eu', variant: 'fsf-xml' };
    if (root === 'Sanctions') {
      // OFAC's advanced format (SDN_ADVANCED.XML): no sample was available to build against.
      throw new FabgateError('SCREENING_FORMAT_UNSUPPORTED', 'OFAC advanced XML (SDN_ADVANCED.XML) is not supported: load sdn.xml or sdn.csv with alt.csv and add.csv', 'invalid_input');
    }
    return undefined;
  }
  if (t.startsWith('{') || t.startsWith('[')) {
    const firstLine = t.split('\n', 1)[0]!;
    try {
      const o = JSON.parse(firstLine) as Record<string, unknown>;
      if (o && typeof o === 'object' && typeof o.schema === 'string' && typeof o.id === 'string') return { format: 'ftm', variant: 'jsonl' };
    } catch {
      // not a single-line object: a JSON document
    }
    return { format: 'csl', variant: 'json' };
  }
  const tabbed = firstCsvRecord(text, '\t');
  if (tabbed && tabbed.length > 5 && tabbed[0] === 'Name' && tabbed.includes('Effective_Date')) return { format: 'bis-dpl' };
  const rec = firstCsvRecord(text);
  if (!rec) return undefined;
  const h = new Set(rec.map((x) => x.trim()));
  if (h.has('source') && h.has('alt_names')) return { format: 'csl', variant: 'csv' };
  if (h.has('celex') && h.has('recordId')) return { format: 'eu', variant: 'oj-csv' };
  if (h.has('id') && h.has('schema') && h.has('aliases')) return { format: 'ftm', variant: 'targets-csv' };
  if (h.has('Clean Name') && h.has('Alias')) return { format: 'dod-1260h' };
  if (rec[0]?.trim() === 'Last Updated' || (h.has('Name 6') && h.has('Group ID'))) return { format: 'uk' };
  const role = ofacCsvRole(rec);
  if (role) return { format: 'ofac-csv', role };
  return undefined;
}

/** Check a forced `--format` against what the content says; with no verdict from the content, trust the flag. */
export function checkForced(file: string, detected: Detected | undefined, forced: ListFormat | 'auto' | undefined, headBytes?: Uint8Array): Detected {
  if (detected && (!forced || forced === 'auto' || forced === detected.format)) return detected;
  if (!detected && forced && forced !== 'auto') {
    const t = new TextDecoder('utf-8').decode(headBytes ?? new Uint8Array()).replace(/^\uFEFF/, '').trimStart();
    switch (forced) {
      case 'eu':
        return { format: 'eu', variant: t.startsWith('<') ? 'fsf-xml' : 'oj-csv' };
      case 'csl':
        return { format: 'csl', variant: t.startsWith('{') || t.startsWith('[') ? 'json' : 'csv' };
      case 'ftm':
        return { format: 'ftm', variant: t.startsWith('{') ? 'jsonl' : 'targets-csv' };
      case 'ofac-csv':
        return { format: 'ofac-csv', role: 'primary' };
      default:
        return { format: forced };
    }
  }
  if (!detected) {
    throw new FabgateError('SCREENING_FORMAT_UNKNOWN', `${file}: not a list format Fabgate reads (OFAC SDN XML/CSV, CSL CSV/JSON, UN XML, EU FSF XML or OJ CSV, UK OFSI CSV, OpenSanctions FtM/targets.simple, BIS DPL)`, 'invalid_input', { file });
  }
  throw new FabgateError('SCREENING_LIST_MALFORMED', `${file}: content: expected a ${forced} file, found ${detected.format}`, 'invalid_input', { file, expected: forced, found: detected.format });
}
