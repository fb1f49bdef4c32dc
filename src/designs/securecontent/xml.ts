import { SaxesParser, type SaxesTagNS } from 'saxes';
import { designError, isDesignError } from './errors.js';

/**
 * XML for the package's small parts (content types, relationships, keystore)
 * and a streaming reader for model parts, both over saxes, both refusing what
 * 3MF forbids (core spec §2.3): a DOCTYPE (so no DTD, no entity declarations,
 * no external entities, no billion laughs), encodings other than UTF-8, and
 * undeclared namespace prefixes.
 */

export interface XmlAttribute {
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  readonly uri: string;
  readonly value: string;
}

export interface XmlElement {
  readonly name: string;
  readonly local: string;
  readonly uri: string;
  readonly attributes: readonly XmlAttribute[];
  readonly children: XmlElement[];
  /** The element's own character data (text and CDATA directly inside it), concatenated. */
  text: string;
}

export interface XmlLimits {
  /** Deepest element nesting accepted. */
  maxDepth: number;
  /** Most elements in one document (only for in-memory parsing). */
  maxElements: number;
}

const DEFAULT_XML_LIMITS: XmlLimits = { maxDepth: 128, maxElements: 200_000 };

const UTF8_BOM = [0xef, 0xbb, 0xbf];

export interface XmlStreamHandlers {
  opentag?: (tag: SaxesTagNS, depth: number) => void;
  closetag?: (tag: SaxesTagNS, depth: number) => void;
  text?: (text: string) => void;
}

/**
 * Feeds bytes to saxes with the 3MF rules applied. `what` names the part in
 * error messages. Errors are DESIGN_XML_MALFORMED or DESIGN_XML_DTD_FORBIDDEN.
 */
export class XmlStreamReader {
  readonly #parser: SaxesParser<{ xmlns: true; position: true }>;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  #first = true;
  #depth = 0;
  #elements = 0;
  #failure: Error | undefined;

  constructor(
    private readonly what: string,
    handlers: XmlStreamHandlers,
    private readonly limits: XmlLimits = DEFAULT_XML_LIMITS,
  ) {
    const parser = new SaxesParser({ xmlns: true, position: true, fileName: what });
    this.#parser = parser;
    parser.on('error', (e) => {
      throw this.#fail(designError('DESIGN_XML_MALFORMED', `${what} is not well-formed XML: ${e.message}`, { reason: 'syntax', part: what }));
    });
    parser.on('doctype', () => {
      // 3MF core §2.3 and the hostile-input rule: no DTD, hence no entities at all.
      throw this.#fail(designError('DESIGN_XML_DTD_FORBIDDEN', `${what} carries a DOCTYPE; DTDs and entity declarations are refused`, { part: what }));
    });
    parser.on('xmldecl', (decl) => {
      if (decl.encoding !== undefined && decl.encoding.toLowerCase() !== 'utf-8') {
        throw this.#fail(designError('DESIGN_XML_MALFORMED', `${what} declares encoding '${decl.encoding}'; 3MF requires UTF-8`, { reason: 'encoding', part: what }));
      }
    });
    parser.on('opentag', (tag) => {
      this.#depth++;
      this.#elements++;
      if (this.#depth > this.limits.maxDepth) {
        throw this.#fail(designError('DESIGN_XML_MALFORMED', `${what} nests elements deeper than ${this.limits.maxDepth}`, { reason: 'depth', part: what }));
      }
      if (this.#elements > this.limits.maxElements) {
        throw this.#fail(designError('DESIGN_XML_MALFORMED', `${what} has more than ${this.limits.maxElements} elements`, { reason: 'element-count', part: what }));
      }
      handlers.opentag?.(tag, this.#depth);
    });
    parser.on('closetag', (tag) => {
      handlers.closetag?.(tag, this.#depth);
      this.#depth--;
    });
    if (handlers.text) {
      const onText = handlers.text;
      parser.on('text', onText);
      parser.on('cdata', onText);
    }
  }

  /** Feeds the next bytes of the part. */
  write(chunk: Uint8Array): void {
    if (this.#failure) throw this.#failure;
    let bytes = chunk;
    if (this.#first && bytes.length > 0) {
      this.#first = false;
      if ((bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe) || bytes[0] === 0x00) {
        throw this.#fail(designError('DESIGN_XML_MALFORMED', `${this.what} is UTF-16 or UTF-32; 3MF requires UTF-8`, { reason: 'encoding', part: this.what }));
      }
      if (UTF8_BOM.every((b, i) => bytes[i] === b)) bytes = bytes.subarray(3);
    }
    this.#feed(this.#decode(bytes, true));
  }

  /** Ends the document; throws if it is incomplete. */
  close(): void {
    if (this.#failure) throw this.#failure;
    this.#feed(this.#decode(new Uint8Array(0), false));
    this.#run(() => this.#parser.close());
  }

  #decode(bytes: Uint8Array, stream: boolean): string {
    try {
      return this.#decoder.decode(bytes, { stream });
    } catch {
      throw this.#fail(designError('DESIGN_XML_MALFORMED', `${this.what} is not valid UTF-8`, { reason: 'encoding', part: this.what }));
    }
  }

  #feed(text: string): void {
    if (text.length > 0) this.#run(() => this.#parser.write(text));
  }

  #run(step: () => void): void {
    try {
      step();
    } catch (e) {
      if (this.#failure) throw this.#failure;
      if (isDesignError(e)) throw this.#fail(e);
      throw this.#fail(designError('DESIGN_XML_MALFORMED', `${this.what}: ${(e as Error).message}`, { reason: 'syntax', part: this.what }));
    }
  }

  #fail(e: Error): Error {
    this.#failure ??= e;
    return this.#failure;
  }
}

/** Parses a small XML part into a tree (relationships, content types, keystore). */
export function parseXmlDocument(bytes: Uint8Array, what: string, limits: XmlLimits = DEFAULT_XML_LIMITS): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const reader = new XmlStreamReader(
    what,
    {
      opentag(tag) {
        const element: XmlElement = {
          name: tag.name,
          local: tag.local,
          uri: tag.uri,
          attributes: Object.values(tag.attributes).map((a) => ({ name: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value })),
          children: [],
          text: '',
        };
        const parent = stack[stack.length - 1];
        if (parent) parent.children.push(element);
        else root = element;
        stack.push(element);
      },
      closetag() {
        stack.pop();
      },
      text(text) {
        const current = stack[stack.length - 1];
        if (current) current.text += text;
      },
    },
    limits,
  );
  reader.write(bytes);
  reader.close();
  if (!root) throw designError('DESIGN_XML_MALFORMED', `${what} has no root element`, { reason: 'empty', part: what });
  return root;
}

/** The value of an unqualified attribute (or one in `uri`), if present. */
export function attr(element: XmlElement, local: string, uri = ''): string | undefined {
  return element.attributes.find((a) => a.local === local && a.uri === uri)?.value;
}

/** Escapes text for an XML attribute value or character data. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}
