import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { add, cmp, fromNumber, mul, parseRational, rational } from './rational.js';
import { compareToThreshold, convertForDisplay, threshold, unitsOf } from './units.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return 'no error';
};

describe('rationals read numbers as the decimals written', () => {
  it('0.1, 1273.15, 1e-7, -273.15', () => {
    expect(fromNumber(0.1)).toEqual(rational(1n, 10n));
    expect(fromNumber(1273.15)).toEqual(rational(127315n, 100n));
    expect(fromNumber(1e-7)).toEqual(rational(1n, 10000000n));
    expect(fromNumber(-273.15)).toEqual(rational(-27315n, 100n));
    expect(fromNumber(1.5e21)).toEqual(rational(1500000000000000000000n));
    expect(parseRational('101325/760')).toEqual(rational(101325n, 760n));
    expect(cmp(add(fromNumber(0.1), fromNumber(0.2)), fromNumber(0.3))).toBe(0);
  });
});

describe('conversions are exact at the legal boundaries', () => {
  const t = (dim: Parameters<typeof threshold>[0], v: number, u: string) => threshold(dim, v, u, 'test');

  it('1 mbar = 100 Pa, 0.1 kPa = 100 Pa, 760 Torr = 1 atm', () => {
    const p100 = t('pressure', 100, 'Pa');
    expect(compareToThreshold({ value: 1, unit: 'mbar' }, p100, 'f')).toBe(0);
    expect(compareToThreshold({ value: 0.1, unit: 'kPa' }, p100, 'f')).toBe(0);
    expect(compareToThreshold({ value: 760, unit: 'Torr' }, t('pressure', 1, 'atm'), 'f')).toBe(0);
    expect(compareToThreshold({ value: 14.5037738, unit: 'psi' }, t('pressure', 1, 'bar'), 'f')).toBe(1);
    expect(compareToThreshold({ value: 14.5037737, unit: 'psi' }, t('pressure', 1, 'bar'), 'f')).toBe(-1);
    // 1.1 mbar is 110.00000000000001 Pa in floats; exactly 110 Pa here
    expect(1.1 * 100).not.toBe(110);
    expect(compareToThreshold({ value: 1.1, unit: 'mbar' }, t('pressure', 110, 'Pa'), 'f')).toBe(0);
  });

  it('1273.15 K = 1000 °C = 1832 °F exactly; 0 K = -273.15 °C', () => {
    const c1000 = t('temperature', 1000, 'degC');
    expect(compareToThreshold({ value: 1273.15, unit: 'K' }, c1000, 'f')).toBe(0);
    expect(compareToThreshold({ value: 1832, unit: 'degF' }, c1000, 'f')).toBe(0);
    expect(compareToThreshold({ value: 1273.1500000000001, unit: 'K' }, c1000, 'f')).toBe(0); // the same double as 1273.15
    expect(compareToThreshold({ value: 1273.1500001, unit: 'K' }, c1000, 'f')).toBe(1);
    expect(compareToThreshold({ value: 0, unit: 'K' }, t('temperature', -273.15, 'degC'), 'f')).toBe(0);
    // the float conversion alone drifts here: 1273.15 - 273.15 is 1000.0000000000001 in binary floating point
    expect(1273.15 - 273.15).not.toBe(1000);
  });

  it('14 µm = 14,000 nm; 0.38 µm = 380 nm', () => {
    expect(compareToThreshold({ value: 14, unit: 'µm' }, t('length', 14000, 'nm'), 'f')).toBe(0);
    expect(compareToThreshold({ value: 14, unit: 'um' }, t('length', 14000, 'nm'), 'f')).toBe(0);
    expect(compareToThreshold({ value: 0.38, unit: 'um' }, t('length', 380, 'nm'), 'f')).toBe(0);
    expect(compareToThreshold({ value: 0.000014, unit: 'm' }, t('length', 14000, 'nm'), 'f')).toBe(0);
  });

  it('power and mass fraction', () => {
    expect(compareToThreshold({ value: 1, unit: 'kW' }, t('power', 1000, 'W'), 'f')).toBe(0);
    expect(compareToThreshold({ value: 97, unit: 'wt%' }, t('mass_fraction', 97, 'wt%'), 'f')).toBe(0);
  });

  it('display conversion rounds away float noise', () => {
    expect(convertForDisplay({ value: 1273.15, unit: 'K' }, 'temperature', 'degC', 'f')).toEqual({ value: 1000, unit: 'degC' });
    expect(convertForDisplay({ value: 1, unit: 'mbar' }, 'pressure', 'Pa', 'f')).toEqual({ value: 100, unit: 'Pa' });
  });

  it('an unknown unit and a unit of the wrong dimension are errors naming the field', () => {
    const thr = t('pressure', 100, 'Pa');
    expect(code(() => compareToThreshold({ value: 1, unit: 'furlong' }, thr, 'machine.chamber_vacuum_pressure'))).toBe('CLASSIFICATION_UNIT_UNKNOWN');
    expect(code(() => compareToThreshold({ value: 1, unit: 'K' }, thr, 'machine.chamber_vacuum_pressure'))).toBe('CLASSIFICATION_UNIT_DIMENSION');
    try {
      compareToThreshold({ value: 1, unit: 'K' }, thr, 'machine.chamber_vacuum_pressure');
    } catch (e) {
      expect((e as Error).message).toContain('machine.chamber_vacuum_pressure');
    }
  });

  it('the float fast path agrees with exact rational comparison (property)', () => {
    const dims = [
      ['pressure', unitsOf('pressure')],
      ['temperature', unitsOf('temperature')],
      ['length', unitsOf('length')],
    ] as const;
    const exactUnits: Record<string, [string, string]> = {
      Pa: ['1', '0'], hPa: ['100', '0'], kPa: ['1000', '0'], MPa: ['1000000', '0'], GPa: ['1000000000', '0'], mbar: ['100', '0'], bar: ['100000', '0'],
      Torr: ['101325/760', '0'], atm: ['101325', '0'], psi: ['44482216152605/6451600000', '0'],
      degC: ['1', '0'], '°C': ['1', '0'], K: ['1', '-273.15'], degF: ['5/9', '-160/9'], '°F': ['5/9', '-160/9'],
      nm: ['1', '0'], um: ['1000', '0'], µm: ['1000', '0'], μm: ['1000', '0'], mm: ['1000000', '0'], cm: ['10000000', '0'], m: ['1000000000', '0'], in: ['25400000', '0'],
    };
    const decimal = fc.tuple(fc.integer({ min: -10_000_000, max: 10_000_000 }), fc.integer({ min: 0, max: 6 })).map(([n, e]) => Number(`${n}e-${e}`));
    fc.assert(
      fc.property(fc.constantFrom(...dims), decimal, decimal, fc.nat(), fc.nat(), ([dim, units], a, b, i, j) => {
        const ua = units[i % units.length]!;
        const ub = units[j % units.length]!;
        const thr = threshold(dim, b, ub, 'p');
        const [sa, oa] = exactUnits[ua]!;
        const exact = add(mul(fromNumber(a), parseRational(sa)), parseRational(oa));
        expect(compareToThreshold({ value: a, unit: ua }, thr, 'p')).toBe(cmp(exact, thr.exact));
      }),
      { numRuns: 2000 },
    );
  });
});
