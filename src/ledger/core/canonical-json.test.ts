import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalJson, canonicalJsonBytes, MAX_JSON_DEPTH } from './canonical-json.js';
import { toHex } from './bytes.js';
import { isFabgateError } from '../../shared/errors.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (isFabgateError(e)) return e.code;
    throw e;
  }
}

describe('RFC 8785 examples', () => {
  it('§3.2.2: primitives', () => {
    const input = JSON.parse(
      String.raw`{
        "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
      }`,
    ) as unknown;
    expect(canonicalJson(input)).toBe(String.raw`{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`);
    // The RFC's hex dump of the same output, as UTF-8 bytes.
    expect(toHex(canonicalJsonBytes(input))).toBe(
      [
        '7b 22 6c 69 74 65 72 61 6c 73 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 2c 22 6e',
        '75 6d 62 65 72 73 22 3a 5b 33 33 33 33 33 33 33 33 33 2e 33 33 33 33 33 33 33 2c 31 65 2b 33 30',
        '2c 34 2e 35 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 73 74 72 69 6e 67 22 3a 22 e2 82 ac 24',
        '5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 7d',
      ]
        .join(' ')
        .replaceAll(' ', ''),
    );
  });

  it('§3.2.3: members sorted by UTF-16 code units', () => {
    const input = JSON.parse(
      String.raw`{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}`,
    ) as unknown;
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });
});

describe('integers and strings', () => {
  it.each([
    [0, '0'],
    [-0, '0'],
    [42, '42'],
    [-7, '-7'],
    [9007199254740991, '9007199254740991'],
    [1e21, '1e+21'],
  ])('%d is %s', (n, text) => expect(canonicalJson(n)).toBe(text));

  it('escapes only what RFC 8785 requires', () => {
    expect(canonicalJson('\u0000\u001f\u007f\u2028</script>é')).toBe('"\\u0000\\u001f\u007f\u2028</script>é"');
  });

  it('agrees with JSON.stringify for plain JSON data, apart from member order', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary', depthSize: 'small' }), (value) => {
        const text = canonicalJson(value);
        expect(isDeepStrictEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)))).toBe(true);
        expect(canonicalJson(JSON.parse(text))).toBe(text); // idempotent
      }),
    );
  });

  it('is independent of member insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.integer()), (dict) => {
        const reversed = Object.fromEntries(Object.entries(dict).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(dict));
      }),
    );
  });
});

describe('values with no canonical form are refused', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  let deep: unknown = 1;
  for (let i = 0; i <= MAX_JSON_DEPTH; i++) deep = [deep];

  it.each([
    ['NaN', NaN],
    ['Infinity', { x: -Infinity }],
    ['bigint', 1n],
    ['undefined at the top', undefined],
    ['undefined in an array', [undefined]],
    ['a function', { f: () => 1 }],
    ['a symbol', Symbol('s')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Uint8Array', new Uint8Array(1)],
    ['a lone surrogate', '\ud800'],
    ['a lone surrogate in a name', { '\udc00': 1 }],
    ['a cycle', cyclic],
  ])('%s', (_what, value) => expect(codeOf(() => canonicalJson(value))).toBe('LEDGER_JSON_UNSUPPORTED'));

  it('too deep', () => expect(codeOf(() => canonicalJson(deep))).toBe('LEDGER_JSON_TOO_DEEP'));

  it('leaves out members whose value is undefined', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it('accepts a repeated (non-cyclic) reference', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"x":1},"b":{"x":1}}');
  });
});
