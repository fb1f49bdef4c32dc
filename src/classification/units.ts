/**
 * Units and quantities of item specifications.
 *
 * Every measured value in an item spec is `{ "value": n, "unit": "…" }`. Before a
 * value is compared with a threshold of a control-list entry it is converted to
 * the canonical unit of its dimension (pressure in Pa, temperature in °C, length
 * in nm, …). Conversion factors are exact rationals (1 Torr = 101325/760 Pa,
 * 1 psi = 0.45359237 × 9.80665 / 0.0254² Pa, T[°C] = T[K] − 273.15), so a value
 * sitting exactly on a legal boundary compares exactly: see `compareToThreshold`.
 */
import { FabgateError } from '../shared/errors.js';
import { add, cmp, fromNumber, mul, parseRational, type Rational } from './rational.js';

export type Dimension =
  | 'pressure'
  | 'temperature'
  | 'length'
  | 'power'
  | 'mass_fraction'
  | 'particle_fraction'
  | 'volume_fraction'
  | 'volume'
  | 'time'
  | 'corrosion_rate';

interface UnitDef {
  dimension: Dimension;
  /** canonical = value × scale + offset */
  scale: Rational;
  offset: Rational;
  scaleF: number;
  offsetF: number;
}

/** Canonical unit per dimension: thresholds and values are compared in it. */
export const CANONICAL_UNIT: Record<Dimension, string> = {
  pressure: 'Pa',
  temperature: 'degC',
  length: 'nm',
  power: 'W',
  mass_fraction: 'wt%',
  particle_fraction: '%',
  volume_fraction: 'vol%',
  volume: 'mm3',
  time: 'h',
  corrosion_rate: 'mm/year',
};

// [unit, dimension, scale, offset]: canonical = value × scale + offset, exact literals.
const TABLE: Array<[string, Dimension, string, string?]> = [
  ['Pa', 'pressure', '1'],
  ['hPa', 'pressure', '100'],
  ['kPa', 'pressure', '1000'],
  ['MPa', 'pressure', '1000000'],
  ['GPa', 'pressure', '1000000000'],
  ['mbar', 'pressure', '100'],
  ['bar', 'pressure', '100000'],
  ['Torr', 'pressure', '101325/760'],
  ['atm', 'pressure', '101325'],
  // 1 psi = 1 lbf/in² = 0.45359237 kg × 9.80665 m/s² / (0.0254 m)² (exact by definition)
  ['psi', 'pressure', '44482216152605/6451600000'],
  ['degC', 'temperature', '1'],
  ['°C', 'temperature', '1'],
  ['K', 'temperature', '1', '-273.15'],
  ['degF', 'temperature', '5/9', '-160/9'],
  ['°F', 'temperature', '5/9', '-160/9'],
  ['nm', 'length', '1'],
  ['um', 'length', '1000'],
  ['µm', 'length', '1000'],
  ['μm', 'length', '1000'],
  ['mm', 'length', '1000000'],
  ['cm', 'length', '10000000'],
  ['m', 'length', '1000000000'],
  ['in', 'length', '25400000'],
  ['W', 'power', '1'],
  ['kW', 'power', '1000'],
  ['MW', 'power', '1000000'],
  ['wt%', 'mass_fraction', '1'],
  ['wt%', 'particle_fraction', '1'],
  ['vol%', 'particle_fraction', '1'],
  ['%', 'particle_fraction', '1'],
  ['vol%', 'volume_fraction', '1'],
  ['mm3', 'volume', '1'],
  ['cm3', 'volume', '1000'],
  ['mL', 'volume', '1000'],
  ['L', 'volume', '1000000'],
  ['m3', 'volume', '1000000000'],
  ['s', 'time', '1/3600'],
  ['min', 'time', '1/60'],
  ['h', 'time', '1'],
  ['mm/year', 'corrosion_rate', '1'],
  ['um/year', 'corrosion_rate', '1/1000'],
  ['µm/year', 'corrosion_rate', '1/1000'],
];

const UNITS = new Map<Dimension, Map<string, UnitDef>>();
for (const [unit, dimension, scale, offset = '0'] of TABLE) {
  const s = parseRational(scale);
  const o = parseRational(offset);
  let byUnit = UNITS.get(dimension);
  if (!byUnit) UNITS.set(dimension, (byUnit = new Map()));
  byUnit.set(unit, { dimension, scale: s, offset: o, scaleF: Number(s.n) / Number(s.d), offsetF: Number(o.n) / Number(o.d) });
}

/** The units accepted for a dimension, in table order (the JSON Schema enum). */
export function unitsOf(dimension: Dimension): [string, ...string[]] {
  return [...UNITS.get(dimension)!.keys()] as [string, ...string[]];
}

/** Every dimension in which `unit` is known (used to say "wrong dimension" rather than "unknown unit"). */
export function dimensionsOfUnit(unit: string): Dimension[] {
  const out: Dimension[] = [];
  for (const [dim, byUnit] of UNITS) if (byUnit.has(unit)) out.push(dim);
  return out;
}

export interface Quantity {
  value: number;
  unit: string;
}

function unitDef(dimension: Dimension, unit: string, field: string): UnitDef {
  const def = UNITS.get(dimension)?.get(unit);
  if (def) return def;
  const elsewhere = dimensionsOfUnit(unit);
  if (elsewhere.length > 0) {
    throw new FabgateError(
      'CLASSIFICATION_UNIT_DIMENSION',
      `${field}: unit "${unit}" measures ${elsewhere.join('/')}, but this field is a ${dimension} (use one of ${unitsOf(dimension).join(', ')})`,
      'invalid_input',
      { field, unit, expected_dimension: dimension, unit_dimensions: elsewhere },
    );
  }
  throw new FabgateError(
    'CLASSIFICATION_UNIT_UNKNOWN',
    `${field}: unknown unit "${unit}" (use one of ${unitsOf(dimension).join(', ')})`,
    'invalid_input',
    { field, unit, expected_dimension: dimension },
  );
}

/** Throws CLASSIFICATION_UNIT_UNKNOWN / CLASSIFICATION_UNIT_DIMENSION naming `field`. */
export function checkUnit(dimension: Dimension, unit: string, field: string): void {
  unitDef(dimension, unit, field);
}

/** A threshold prepared once at rule compile time: canonical value as float and as exact rational. */
export interface Threshold {
  dimension: Dimension;
  /** as written in the rule */
  value: number;
  unit: string;
  canonical: number;
  exact: Rational;
}

export function threshold(dimension: Dimension, value: number, unit: string, field: string): Threshold {
  const def = unitDef(dimension, unit, field);
  const exact = add(mul(fromNumber(value), def.scale), def.offset);
  return { dimension, value, unit, canonical: Number(exact.n) / Number(exact.d), exact };
}

/**
 * Compare a quantity with a threshold: -1, 0, 1 as quantity <, =, > threshold.
 *
 * Fast path in binary floating point; when the float result lies within a
 * relative 1e-9 of the threshold the comparison is redone exactly in rationals.
 * Why 1e-9 is safe: the float conversion is one multiplication and one addition
 * of correctly rounded operands, so its error is a few ulps (≈1e-15 relative to
 * the magnitudes involved, which the tolerance includes: |v·scale| + |offset|).
 * Any difference larger than the tolerance is therefore decided correctly by
 * floats, and anything closer is decided exactly.
 */
export function compareToThreshold(q: Quantity, t: Threshold, field: string): -1 | 0 | 1 {
  const def = unitDef(t.dimension, q.unit, field);
  const scaled = q.value * def.scaleF;
  const v = scaled + def.offsetF;
  const tol = 1e-9 * (Math.abs(scaled) + Math.abs(def.offsetF) + Math.abs(t.canonical) + 1);
  const diff = v - t.canonical;
  if (diff > tol) return 1;
  if (diff < -tol) return -1;
  return cmp(add(mul(fromNumber(q.value), def.scale), def.offset), t.exact);
}

/** The quantity expressed in `unit` (same dimension), for display in a trace. Rounded to 12 significant digits. */
export function convertForDisplay(q: Quantity, dimension: Dimension, unit: string, field: string): Quantity {
  if (q.unit === unit) return { value: q.value, unit };
  const from = unitDef(dimension, q.unit, field);
  const to = unitDef(dimension, unit, field);
  const canonical = q.value * from.scaleF + from.offsetF;
  const value = (canonical - to.offsetF) / to.scaleF;
  return { value: Number(value.toPrecision(12)), unit };
}
