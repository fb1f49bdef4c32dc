import { describe, expect, it } from 'vitest';
import { FabgateError } from '../shared/errors.js';
import { CMD_G, CMD_M, LineTokens, SYNTAX_ERRORS } from './line-tokenizer.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const L = (c: string) => c.charCodeAt(0) - 65;

function tokenize(line: string) {
  const t = new LineTokens();
  const b = bytes(line);
  const next = t.read(b, 0, b.length);
  const words: Record<string, number | true> = {};
  for (let i = 0; i < 26; i++) {
    if (t.present & (1 << i)) words[String.fromCharCode(65 + i)] = t.valued & (1 << i) ? t.values[i]! : true;
  }
  const commands = Array.from({ length: t.cmdCount }, (_, i) => {
    const letter = t.cmdLetter[i] === CMD_G ? 'G' : t.cmdLetter[i] === CMD_M ? 'M' : '?';
    return letter + t.cmdMajor[i] + (t.cmdSub[i]! >= 0 ? '.' + t.cmdSub[i] : '');
  });
  return {
    next,
    words,
    commands,
    error: SYNTAX_ERRORS[t.syntaxError],
    n: t.lineNumber,
    checksum: t.checksumStated >= 0 ? { stated: t.checksumStated, computed: t.checksumComputed } : null,
    extended: t.extStart >= 0 ? line.slice(t.extStart, t.extEnd) : null,
    content: line.slice(0, t.contentEnd),
  };
}

describe('line tokenizer: words', () => {
  it.each([
    ['G1 X57.733 Y57.733 E20.87507', ['G1'], { X: 57.733, Y: 57.733, E: 20.87507 }],
    ['G0X-5Y0Z0F200', ['G0'], { X: -5, Y: 0, Z: 0, F: 200 }],
    ['G01 G91 Z-0.6533 F100.', ['G1', 'G91'], { Z: -0.6533, F: 100 }],
    ['G28 X Y', ['G28'], { X: true, Y: true }],
    ['M84 E', ['M84'], { E: true }],
    ['G29 P3.13', ['G29'], { P: 3.13 }],
    ['M862.3 P "MK4S"', ['M862.3'], { P: true }],
    ['M862.6 P"Input shaper"', ['M862.6'], { P: true }],
    ['G38.2 Z-10', ['G38.2'], { Z: -10 }],
    ['G92.1', ['G92.1'], {}],
    ['M05 M30 ;(End and reset program)', ['M5', 'M30'], {}],
    ['X5.2 Y0.2 M03 S0', ['M3'], { X: 5.2, Y: 0.2, S: 0 }],
    ['T0', [], { T: 0 }],
    ['M104 T0 S170', ['M104'], { T: 0, S: 170 }],
    ['/G1 X1', ['G1'], { X: 1 }],
    ['%', [], {}],
    ['', [], {}],
    ['   ', [], {}],
  ])('%s', (line, commands, words) => {
    const r = tokenize(line);
    expect(r.error).toBe('');
    expect(r.commands).toEqual(commands);
    expect(r.words).toEqual(words);
  });

  it('reads comments in both styles and leaves them out', () => {
    expect(tokenize('G1 X1 ; move (not a word) X99').words).toEqual({ X: 1 });
    expect(tokenize('N1 G20 (inches)').words).toEqual({});
    expect(tokenize('G0 X2 (to two) ; fast').words).toEqual({ X: 2 });
    expect(tokenize(';(M00 , Pause)').commands).toEqual([]);
    expect(tokenize('( X Maximum : 84.4 )').error).toBe(''); // a comment-only line runs nothing anywhere
  });

  it('refuses parenthesis comments that a firmware without them would read as words', () => {
    expect(tokenize('G1 X10 (X300)').error).toBe('words_in_comment');
    expect(tokenize('G1 X10 (go to y -5)').error).toBe('words_in_comment');
    expect(tokenize('G1 X10 (G1 X.5)').error).toBe('words_in_comment');
    expect(tokenize('(rapid) G0 X2').error).toBe('words_in_comment'); // Marlin skips the whole line
    expect(tokenize('G0 X2 (rapid move)').error).toBe('');
  });

  it('reads text commands without reading their text as words', () => {
    expect(tokenize('M117 Printing X999 now').words).toEqual({});
    expect(tokenize('M486 AShape-Box').commands).toEqual(['M486']);
    expect(tokenize('M115 U6.1.3+7898').error).toBe('');
    expect(tokenize('M23 /sd/part.gco ; select').error).toBe('');
  });

  it('reads Klipper-style extended commands by name only', () => {
    const r = tokenize('SET_VELOCITY_LIMIT ACCEL=50000 ; go fast');
    expect(r.extended).toBe('SET_VELOCITY_LIMIT');
    expect(r.words).toEqual({});
    expect(tokenize('N7 PRINT_START').extended).toBe('PRINT_START');
    expect(tokenize('Tx').extended).toBe('Tx');
  });

  it('reads line numbers and checksums (RepRap host protocol)', () => {
    const ok = tokenize('N3 T0*57');
    expect(ok.n).toBe(3);
    expect(ok.checksum).toEqual({ stated: 57, computed: 57 });
    const bad = tokenize('N8 G1 X3.0 Y3.0*30 ; checksum failed');
    expect(bad.checksum).toEqual({ stated: 30, computed: 33 });
    expect(bad.words).toEqual({ X: 3, Y: 3 });
    expect(tokenize('N0 M110 N0*125').words).toEqual({ N: 0 });
  });
});

describe('line tokenizer: malformed lines are reported, not guessed', () => {
  it.each([
    ['G0 X -5', 'space_in_word'],
    ['G1 X1.2.3', 'bad_number'],
    ['G1 X10 X300', 'duplicate_word'],
    ['G1 X-', 'bad_number'],
    ['G1 (X300', 'unclosed_comment'],
    ['G1 X1 *12 G1 X300', 'text_after_checksum'],
    ['G1 X1 *999', 'bad_number'],
    ['G1 X#1', 'unexpected_character'],
    ['G1 X[1+2]', 'unexpected_character'],
    ['G1 X1 = 2', 'unexpected_character'],
    ['G X1', 'bad_command_number'],
    ['G-1', 'bad_command_number'],
    ['G1.', 'bad_command_number'],
    ['M862.3 P "MK4S', 'unterminated_string'],
    ['G1 X1 G1 G1 G1 G1 G1 G1 G1 G1', 'too_many_commands'],
    ['G1 X1 \u00e9', 'non_ascii'],
    ['g0 x1 y2', 'lowercase_word'],
    ['G1 x10', 'lowercase_word'],
    ['G1 X10 (X300)', 'words_in_comment'],
  ])('%s → %s', (line, error) => {
    expect(tokenize(line).error).toBe(error);
  });

  it('allows any bytes inside comments, except control bytes', () => {
    expect(tokenize('G1 X1 ; 200 \u00b0C, caf\u00e9').error).toBe('');
  });
});

describe('line tokenizer: line ends and binary input', () => {
  it('ends a line at a lone CR, also inside a comment (firmware does)', () => {
    const r = tokenize('G1 X1 ; note\rG1 X999');
    expect(r.content).toBe('G1 X1 ; note');
    expect(r.next).toBe('G1 X1 ; note\r'.length);
  });

  it('ends a line at LF and CR LF, and says when the range ended first', () => {
    const t = new LineTokens();
    const b = bytes('G1 X1\r\nG1 X2\nG1 X3');
    expect([t.read(b, 0, b.length), t.terminated, t.contentEnd]).toEqual([7, true, 5]);
    expect([t.read(b, 7, b.length), t.terminated, t.contentEnd]).toEqual([13, true, 12]);
    expect([t.read(b, 13, b.length), t.terminated, t.contentEnd]).toEqual([b.length, false, b.length]);
    const cr = bytes('G1 X1\r');
    expect([t.read(cr, 0, cr.length), t.terminated, t.crAtEnd]).toEqual([cr.length, true, true]);
  });

  it.each([[0x00], [0x01], [0x1b], [0x7f]])('refuses control byte %i with GCODE_BINARY_INPUT', (byte) => {
    for (const at of ['G1 X1', 'G1 X1 ; comment ', 'M117 text ', '(comment ']) {
      const b = new Uint8Array([...bytes(at), byte, ...bytes(' more')]);
      try {
        new LineTokens().read(b, 0, b.length);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FabgateError);
        expect((e as FabgateError).code).toBe('GCODE_BINARY_INPUT');
      }
    }
  });

  it('stores values by letter', () => {
    const t = new LineTokens();
    const b = bytes('G1 X1 Y2 Z3 E4 F5');
    t.read(b, 0, b.length);
    expect([L('X'), L('Y'), L('Z'), L('E'), L('F')].map((i) => t.values[i])).toEqual([1, 2, 3, 4, 5]);
  });
});
