/**
 * Streaming XML records: SAX events (saxes) build a small tree for each record
 * element only (an `<INDIVIDUAL>`, an `<sdnEntry>`), never the whole document.
 *
 * Hostile XML: any DOCTYPE is refused before its content is used, so internal
 * entity expansion ("billion laughs") and external entities (XXE) cannot happen;
 * saxes itself never fetches anything. Depth and per-record size are bounded.
 */
import { SaxesParser } from 'saxes';
import { FabgateError } from '../../shared/errors.js';
import { malformed, tooLarge } from './errors.js';

export interface XmlNode {
  /** Local name (namespace prefix dropped). */
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
  line: number;
}

export const MAX_XML_DEPTH = 64;
export const MAX_RECORD_NODES = 50_000;
export const MAX_RECORD_TEXT = 2 << 20;

const local = (n: string) => {
  const i = n.indexOf(':');
  return i < 0 ? n : n.slice(i + 1);
};

export interface XmlRecordOptions {
  /** Should the element at this path (root first, local names) be captured as one record? */
  isRecord(path: readonly string[]): boolean;
  /** Called for every opening tag outside records (e.g. to read the root's dateGenerated). */
  onOpen?(path: readonly string[], attrs: Record<string, string>): void;
}

export async function* xmlRecords(file: string, text: AsyncIterable<string>, opts: XmlRecordOptions): AsyncGenerator<XmlNode> {
  const parser = new SaxesParser({ position: true });
  const path: string[] = [];
  const stack: XmlNode[] = [];
  let recordDepth = -1;
  let nodes = 0;
  let textChars = 0;
  const ready: XmlNode[] = [];
  let failure: unknown;
  const fail = (e: unknown) => {
    if (failure === undefined) failure = e;
    throw e;
  };

  parser.on('doctype', () => {
    fail(
      new FabgateError('SCREENING_XML_DOCTYPE', `${file}: line ${parser.line}: a DOCTYPE is not accepted in list files (entity expansion and external entities are refused)`, 'invalid_input', {
        file,
        line: parser.line,
      }),
    );
  });
  parser.on('error', (e) => {
    fail(malformed(file, `line ${parser.line} column ${parser.column}`, 'well-formed XML', e.message));
  });
  parser.on('opentag', (tag) => {
    const name = local(tag.name);
    path.push(name);
    if (path.length > MAX_XML_DEPTH) fail(tooLarge(file, `line ${parser.line}`, `${MAX_XML_DEPTH} levels of XML nesting`));
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(tag.attributes)) attrs[local(k)] = typeof v === 'string' ? v : String(v);
    if (recordDepth < 0) {
      if (opts.isRecord(path)) {
        recordDepth = path.length;
        nodes = 0;
        textChars = 0;
      } else {
        opts.onOpen?.(path, attrs);
        return;
      }
    }
    if (++nodes > MAX_RECORD_NODES) fail(tooLarge(file, `line ${parser.line}`, `${MAX_RECORD_NODES} elements in one record`));
    const node: XmlNode = { name, attrs, children: [], text: '', line: parser.line };
    stack[stack.length - 1]?.children.push(node);
    stack.push(node);
  });
  const onText = (t: string) => {
    const top = stack[stack.length - 1];
    if (!top) return;
    textChars += t.length;
    if (textChars > MAX_RECORD_TEXT) fail(tooLarge(file, `line ${parser.line}`, `${MAX_RECORD_TEXT} characters of text in one record`));
    top.text += t;
  };
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.on('closetag', () => {
    if (recordDepth >= 0) {
      const node = stack.pop()!;
      if (path.length === recordDepth) {
        recordDepth = -1;
        ready.push(node);
      }
    }
    path.pop();
  });

  const drain = function* () {
    while (ready.length > 0) yield ready.shift()!;
  };
  for await (const chunk of text) {
    try {
      parser.write(chunk);
    } catch (e) {
      throw failure ?? e;
    }
    yield* drain();
  }
  try {
    parser.close();
  } catch (e) {
    throw failure ?? e;
  }
  yield* drain();
}

/** First child with this local name. */
export function child(node: XmlNode, name: string): XmlNode | undefined {
  return node.children.find((c) => c.name === name);
}

/** All children with this local name. */
export function children(node: XmlNode, name: string): XmlNode[] {
  return node.children.filter((c) => c.name === name);
}

/** Trimmed text of the first child with this name ('' when absent). */
export function textOf(node: XmlNode | undefined, name?: string): string {
  const n = name === undefined ? node : node && child(node, name);
  return n ? n.text.replace(/\s+/g, ' ').trim() : '';
}

/** Trimmed texts of every `<VALUE>`-like grandchild: `values(node, 'NATIONALITY', 'VALUE')`. */
export function values(node: XmlNode, parent: string, name: string): string[] {
  const out: string[] = [];
  for (const p of children(node, parent)) for (const c of children(p, name)) {
    const t = textOf(c);
    if (t) out.push(t);
  }
  return out;
}
