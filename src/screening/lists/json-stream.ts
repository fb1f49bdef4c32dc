/**
 * Streaming JSON without holding the document: the elements of one array (the
 * CSL's `"results"` or a top-level array) are cut out one by one and each is
 * given to JSON.parse; JSON lines are split on newlines. Element and line sizes
 * are bounded.
 */
import { malformed, tooLarge } from './errors.js';

export const MAX_JSON_ELEMENT = 4 << 20;

/**
 * Yield each element of the top-level array, or of the array under `key` in the
 * top-level object. Elements must be objects.
 */
export async function* jsonArrayElements(file: string, text: AsyncIterable<string>, key: string): AsyncGenerator<unknown> {
  let depth = 0;
  let inString = false;
  let escape = false;
  let str = '';
  let lastKey = '';
  let armed = false; // the next '[' at depth 1 (after `"key":`) opens the wanted array
  let inArray = -1; // depth of the wanted array's elements, -1 when outside
  let buf: string[] = [];
  let bufLen = 0;
  let elemStart = -1;
  let line = 1;
  let topIsArray: boolean | undefined;
  for await (const chunk of text) {
    let segStart = elemStart >= 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (inString) {
        if (escape) escape = false;
        else if (c === 92) escape = true;
        else if (c === 34) inString = false;
        else if (depth === 1 && inArray < 0 && str.length < 256) str += chunk[i];
        continue;
      }
      if (c === 34) {
        inString = true;
        if (depth === 1) str = '';
        continue;
      }
      if (c === 58 && depth === 1) {
        lastKey = str;
        armed = lastKey === key;
        continue;
      }
      if (c === 123 || c === 91) {
        if (depth === 0) topIsArray = c === 91;
        depth++;
        if (depth === 1 && topIsArray) inArray = 2;
        else if (depth === 2 && armed && c === 91 && inArray < 0) {
          inArray = 3;
          armed = false;
        } else if (depth === inArray && elemStart < 0) {
          if (c !== 123) throw malformed(file, `line ${line}`, `objects in the "${key}" array`);
          elemStart = i;
          segStart = i;
        }
        continue;
      }
      if (c === 125 || c === 93) {
        if (depth === 0) throw malformed(file, `line ${line}`, 'balanced JSON brackets');
        if (elemStart >= 0 && depth === inArray) {
          const piece = chunk.slice(segStart, i + 1);
          buf.push(piece);
          const json = buf.join('');
          buf = [];
          bufLen = 0;
          elemStart = -1;
          segStart = -1;
          let v: unknown;
          try {
            v = JSON.parse(json);
          } catch (e) {
            throw malformed(file, `line ${line}`, 'a valid JSON object', (e as Error).message);
          }
          yield v;
        } else if (depth === inArray - 1) inArray = -1;
        depth--;
        continue;
      }
    }
    if (elemStart >= 0 && segStart >= 0) {
      const piece = chunk.slice(segStart);
      buf.push(piece);
      bufLen += piece.length;
      if (bufLen > MAX_JSON_ELEMENT) throw tooLarge(file, `line ${line}`, `${MAX_JSON_ELEMENT} characters per JSON element`);
      elemStart = 0;
    }
  }
  if (depth !== 0 || inString) throw malformed(file, `line ${line}`, 'a complete JSON document (input ended inside a value)');
  if (topIsArray === undefined) throw malformed(file, 'document', 'a JSON object or array');
}

export const MAX_LINE = 4 << 20;

/** Non-empty lines with their 1-based numbers. */
export async function* lines(file: string, text: AsyncIterable<string>): AsyncGenerator<{ text: string; line: number }> {
  let rest = '';
  let n = 0;
  for await (const chunk of text) {
    rest += chunk;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      n++;
      const l = rest.slice(0, nl).replace(/\r$/, '');
      rest = rest.slice(nl + 1);
      if (l.trim()) yield { text: l, line: n };
    }
    if (rest.length > MAX_LINE) throw tooLarge(file, `line ${n + 1}`, `${MAX_LINE} characters per line`);
  }
  if (rest.trim()) yield { text: rest.replace(/\r$/, ''), line: n + 1 };
}
