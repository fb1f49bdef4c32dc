/**
 * Rule evaluation: rule sets are compiled once into closures, then every item is
 * evaluated against every entry with Kleene's three-valued logic plus "review":
 *
 *   met / not_met / unknown (a parameter is missing) / review (text not modelled)
 *
 *   all: not_met if any child is not_met, else unknown if any is unknown, else review if any is review, else met
 *   any: met if any child is met, else unknown if any is unknown, else review if any is review, else not_met
 *   not: swaps met and not_met, keeps unknown and review
 *
 * so a missing parameter never counts as false: it can only leave an answer
 * open (`needs_information`, listing exactly the missing parameters that could
 * change it). "unknown" ranks above "review" because supplying the missing
 * information may settle the entry without an officer.
 *
 * Evaluation is pure and never throws on a schema-valid item: a mismatch between
 * rule and data ends in `review` with the reason in the trace.
 */
import { createHash } from 'node:crypto';
import { FabgateError } from '../shared/errors.js';
import { ITEM_FIELDS, unitDimensionFor, type FieldInfo } from './item-fields.js';
import type { ItemKind, ItemSpec } from './item-schema.js';
import { add, cmp, fromNumber, type Rational } from './rational.js';
import type { Condition, Entry, LogicNode, RuleSet } from './rules/ruleset-schema.js';
import type { Classification, EntryResult, EntryStatus, NodeResult, RuleSetRef, TraceNode } from './types.js';
import { compareToThreshold, convertForDisplay, threshold, type Quantity, type Threshold } from './units.js';

const F = 0;
const T = 1;
const U = 2;
const R = 3;
type Truth = typeof F | typeof T | typeof U | typeof R;

const RESULT: readonly NodeResult[] = ['not_met', 'met', 'unknown', 'review'];
const STATUS_OF: Readonly<Record<NodeResult, EntryStatus>> = { met: 'controlled', not_met: 'not_controlled', unknown: 'needs_information', review: 'needs_review' };
const NONE: readonly string[] = Object.freeze([]);
const EMPTY: readonly string[] = NONE;
const MISSING = { missing: true } as const;
const CLAIMED = { detail: 'claimed by the exporter: the exclusion applies' };
const NOT_CLAIMED = { detail: 'not claimed' };
const STATED = { detail: "the exporter's own statement" };

/** What a condition's trace node says regardless of the item. */
interface CondBase {
  id: string;
  parameter?: string;
  operator: string;
  threshold?: unknown;
  note?: string;
}

/**
 * A condition's trace node, built as one object literal of fixed shape: V8 (Node 20) takes microseconds for
 * `{ ...base, extra }`, which made tracing the bottleneck. Undefined fields vanish in JSON.
 */
function condTrace(
  b: CondBase,
  parameter: string | undefined,
  result: NodeResult,
  found: unknown,
  more?: {
    converted?: TraceNode['converted'];
    missing?: boolean;
    missing_parameters?: string[];
    detail?: string;
    referenced?: EntryResult[];
    satisfied_by?: number[];
  },
): TraceNode {
  // Three fixed shapes: the common one small, so the trace of a whole item stays cheap to allocate.
  if (more === undefined) return { node: 'condition', id: b.id, parameter, operator: b.operator, threshold: b.threshold, found, result, note: b.note };
  if (more === MISSING) return { node: 'condition', id: b.id, parameter, operator: b.operator, threshold: b.threshold, missing: true, result, note: b.note };
  return {
    node: 'condition',
    id: b.id,
    parameter,
    operator: b.operator,
    threshold: b.threshold,
    found,
    converted: more.converted,
    missing: more.missing,
    missing_parameters: more.missing_parameters,
    result,
    note: b.note,
    detail: more.detail,
    referenced: more.referenced,
    satisfied_by: more.satisfied_by,
  };
}

/** How deep `specified_in` may classify targets of targets (rules reference at most one level today). */
const MAX_REFERENCE_DEPTH = 4;

type Obj = Record<string, unknown>;

interface Scope {
  root: Obj;
  /** current list element inside any_element */
  el: unknown;
  /** index of the current list element inside any_element (-1 outside) */
  index: number;
  engine: Engine;
  depth: number;
}

/** A compiled node: evaluates to its trace node, whose `result` is the node's value. */
type Eval = (s: Scope) => TraceNode;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const isQuantity = (v: unknown): v is Quantity => isObj(v) && typeof v.value === 'number' && typeof v.unit === 'string';

function get(base: unknown, segs: readonly string[]): unknown {
  let v = base;
  for (const s of segs) {
    if (!isObj(v)) return undefined;
    v = v[s];
  }
  return v;
}

const invalid = (ruleSet: string, message: string, details?: unknown) =>
  new FabgateError('CLASSIFICATION_RULESET_INVALID', `rule set ${ruleSet}: ${message}`, 'invalid_input', details);

// ------------------------------------------------------------------ comparisons

type Cmp = 'gt' | 'gte' | 'lt' | 'lte';
const holds = (c: -1 | 0 | 1, op: Cmp): boolean => (op === 'gt' ? c > 0 : op === 'gte' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0);

/** Compare two plain numbers as the decimals written (JSON numbers are decimal literals). */
function cmpNumber(a: number, b: number): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sum of decimals, exact when the float sum lies near the threshold. */
function cmpSum(values: number[], thr: number): -1 | 0 | 1 {
  const s = values.reduce((x, y) => x + y, 0);
  const tol = 1e-9 * (values.reduce((x, y) => x + Math.abs(y), 0) + Math.abs(thr) + 1);
  if (s - thr > tol) return 1;
  if (thr - s > tol) return -1;
  const exact = values.reduce<Rational>((acc, v) => add(acc, fromNumber(v)), fromNumber(0));
  return cmp(exact, fromNumber(thr));
}

/** Derive `material.base_metal` from the composition: the element with the highest weight percentage. */
const BASE_METALS: Record<string, string> = {
  Al: 'aluminium', Ti: 'titanium', Ni: 'nickel', Nb: 'niobium', Mg: 'magnesium', Mo: 'molybdenum', W: 'tungsten',
  Ta: 'tantalum', Fe: 'iron', Co: 'cobalt', Cu: 'copper', Zr: 'zirconium', Be: 'beryllium',
};
const derivedCache = new WeakMap<object, string | undefined>();
function derivedBaseMetal(composition: unknown): string | undefined {
  if (!isObj(composition)) return undefined;
  if (derivedCache.has(composition)) return derivedCache.get(composition);
  const derived = deriveBaseMetal(composition);
  derivedCache.set(composition, derived);
  return derived;
}
function deriveBaseMetal(composition: Obj): string | undefined {
  let best: string | undefined;
  let bestValue = -1;
  let tie = false;
  for (const [k, v] of Object.entries(composition)) {
    if (typeof v !== 'number') continue;
    if (v > bestValue) {
      best = k.replace(/_wt_pct$/, '');
      bestValue = v;
      tie = false;
    } else if (v === bestValue) tie = true;
  }
  if (best === undefined || tie) return undefined;
  return BASE_METALS[best] ?? 'other';
}

// ------------------------------------------------------------------ conditions

interface CompileCtx {
  ruleSet: string;
  entry: Entry;
  conditions: Map<string, Condition>;
  /** list path when compiling inside any_element */
  list?: string;
}

interface TestResult {
  v: Truth;
  converted?: Quantity | Quantity[];
  detail?: string;
}

function fieldInfo(cx: CompileCtx, name: string): FieldInfo {
  const info = ITEM_FIELDS.get(name);
  if (!info) throw invalid(cx.ruleSet, `${cx.entry.key}: parameter path ${name} is not a field of the item schema`);
  return info;
}

function quantityThreshold(cx: CompileCtx, c: Condition, value: number, unit: string, name = c.name): Threshold {
  const dim = unitDimensionFor(fieldInfo(cx, name), unit);
  if (dim.includes(' ')) throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: ${dim}`);
  return threshold(dim as Threshold['dimension'], value, unit, `${cx.entry.key} ${c.id}`);
}

function checkEnumValues(cx: CompileCtx, c: Condition, info: FieldInfo, values: unknown[]): void {
  if (info.type !== 'enum' && info.type !== 'enum_list') return;
  for (const v of values) {
    if (!info.values.includes(String(v))) {
      throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: value ${JSON.stringify(v)} is not one of ${c.name}'s values (${info.values.join(', ')})`);
    }
  }
}

/** A plain test on the value found (the value is present). */
function valueTest(cx: CompileCtx, c: Condition): (value: unknown, field: string) => TestResult {
  const info = fieldInfo(cx, c.name);
  const mismatch = (value: unknown): TestResult => ({ v: R, detail: `value ${JSON.stringify(value)} does not fit operator ${c.operator}: rule and item schema disagree` });
  switch (c.operator) {
    case 'eq':
    case 'includes': {
      checkEnumValues(cx, c, info, [c.value]);
      const want = c.value;
      // eq on a list-valued field reads as "includes" (e.g. technology.function eq development)
      return (value) => (Array.isArray(value) ? { v: value.includes(want) ? T : F } : { v: value === want ? T : F });
    }
    case 'in':
    case 'includes_any': {
      checkEnumValues(cx, c, info, c.value);
      const want = new Set<unknown>(c.value);
      return (value) => (Array.isArray(value) ? { v: value.some((x) => want.has(x)) ? T : F } : { v: want.has(value) ? T : F });
    }
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const op = c.operator;
      if (c.unit !== undefined) {
        const thr = quantityThreshold(cx, c, c.value, c.unit);
        return (value, field) => {
          if (!isQuantity(value)) return mismatch(value);
          return { v: holds(compareToThreshold(value, thr, field), op) ? T : F, converted: convertForDisplay(value, thr.dimension, thr.unit, field) };
        };
      }
      if (info.type !== 'number') throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: ${c.name} needs a unit`);
      const thr = c.value;
      return (value) => (typeof value === 'number' ? { v: holds(cmpNumber(value, thr), op) ? T : F } : mismatch(value));
    }
    case 'in_range': {
      const { min, min_inclusive, max, max_inclusive } = c.value;
      if (c.unit !== undefined) {
        const lo = min === undefined ? undefined : quantityThreshold(cx, c, min, c.unit);
        const hi = max === undefined ? undefined : quantityThreshold(cx, c, max, c.unit);
        const dim = (lo ?? hi)!.dimension;
        return (value, field) => {
          if (!isQuantity(value)) return mismatch(value);
          const okLo = lo === undefined || holds(compareToThreshold(value, lo, field), min_inclusive ? 'gte' : 'gt');
          const okHi = hi === undefined || holds(compareToThreshold(value, hi, field), max_inclusive ? 'lte' : 'lt');
          return { v: okLo && okHi ? T : F, converted: convertForDisplay(value, dim, c.unit!, field) };
        };
      }
      return (value) => {
        if (typeof value !== 'number') return mismatch(value);
        const okLo = min === undefined || holds(cmpNumber(value, min), min_inclusive ? 'gte' : 'gt');
        const okHi = max === undefined || holds(cmpNumber(value, max), max_inclusive ? 'lte' : 'lt');
        return { v: okLo && okHi ? T : F };
      };
    }
    case 'dims_gte': {
      const thresholds = [...c.value].sort((a, b) => b - a).map((v) => quantityThreshold(cx, c, v, c.unit, `${c.name}[]`));
      const dim = thresholds[0]!.dimension;
      return (value, field) => {
        if (!Array.isArray(value) || value.length !== thresholds.length || !value.every(isQuantity)) return mismatch(value);
        const converted = value.map((q) => convertForDisplay(q, dim, c.unit, field));
        const order = value.map((q, i) => ({ q, key: converted[i]!.value })).sort((a, b) => b.key - a.key);
        const ok = order.every(({ q }, i) => compareToThreshold(q, thresholds[i]!, field) >= 0);
        return { v: ok ? T : F, converted, detail: 'edges compared largest first' };
      };
    }
    default:
      throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: operator ${c.operator} is not a value test`);
  }
}

function thresholdOf(c: Condition): unknown {
  if ('unit' in c && c.unit !== undefined) {
    if (c.operator === 'in_range') return { ...c.value, unit: c.unit };
    return { value: c.value, unit: c.unit };
  }
  return 'value' in c ? c.value : undefined;
}

/** Split a condition name into the path segments to read, relative to the list element inside any_element. */
function paths(cx: CompileCtx, c: Condition): { segs: string[]; relative: boolean; rel: string } {
  const marker = c.name.indexOf('[]');
  // An absolute parameter inside an element scope reads the item root.
  if (marker < 0) return { segs: c.name.split('.'), relative: false, rel: c.name };
  const list = c.name.slice(0, marker);
  if (cx.list !== list || !c.name.startsWith(`${list}[].`)) {
    throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: ${c.name} used outside any_element over ${list}`);
  }
  const rel = c.name.slice(marker + 3);
  return { segs: rel.split('.'), relative: true, rel };
}

function compileValueCondition(cx: CompileCtx, c: Condition): Eval {
  const test = valueTest(cx, c);
  const { segs, relative, rel } = paths(cx, c);
  const base: CondBase = { id: c.id, operator: c.operator, threshold: thresholdOf(c), note: c.note };
  // An element not listed in a declared composition is absent: 0 wt% (item-schema.ts says so).
  const compositionDefault = segs.length >= 2 && segs[segs.length - 2] === 'composition' && /_wt_pct$/.test(segs[segs.length - 1]!);
  const parentSegs = segs.slice(0, -1);
  const derivesBaseMetal = !relative && c.name === 'material.base_metal';
  // Parameter names of list elements, built once per index rather than per evaluation.
  const list = relative ? c.name.slice(0, c.name.indexOf('[]')) : '';
  const names: string[] = [];
  return (s) => {
    const param = relative ? (names[s.index] ??= `${list}[${s.index}].${rel}`) : c.name;
    let value = get(relative ? s.el : s.root, segs);
    let detail: string | undefined;
    if (value === undefined && compositionDefault && isObj(get(relative ? s.el : s.root, parentSegs))) {
      value = 0;
      detail = 'element not listed in the declared composition: 0 wt%';
    }
    if (value === undefined && derivesBaseMetal) {
      value = derivedBaseMetal(get(s.root, ['material', 'composition']));
      if (value !== undefined) detail = 'derived from material.composition (highest weight percentage)';
    }
    if (value === undefined) {
      return condTrace(base, param, 'unknown', undefined, MISSING);
    }
    const res = test(value, param);
    const d = res.detail && detail ? `${detail}; ${res.detail}` : (res.detail ?? detail);
    return condTrace(base, param, RESULT[res.v]!, value, res.converted || d ? { converted: res.converted, detail: d } : undefined);
  };
}

function compileCompositionSum(cx: CompileCtx, c: Extract<Condition, { operator: 'composition_sum' }>): Eval {
  for (const el of c.value.elements) fieldInfo(cx, `${c.name}.${el}_wt_pct`);
  const segs = c.name.split('.');
  const keys = c.value.elements.map((el) => `${el}_wt_pct`);
  const op = c.value.operator;
  const base: CondBase = { id: c.id, operator: `sum(${c.value.elements.join('+')}) ${op}`, threshold: { value: c.value.threshold, unit: 'wt%' }, note: c.note };
  return (s) => {
    const comp = get(s.root, segs);
    if (!isObj(comp)) return condTrace(base, c.name, 'unknown', undefined, MISSING);
    const values = keys.map((k) => (typeof comp[k] === 'number' ? (comp[k] as number) : 0));
    const sum = Number(values.reduce((a, b) => a + b, 0).toPrecision(12));
    const v: Truth = holds(cmpSum(values, c.value.threshold), op) ? T : F;
    const found = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
    return condTrace(base, c.name, RESULT[v]!, found, { converted: { value: sum, unit: 'wt%' } });
  };
}

function compileTestResult(cx: CompileCtx, c: Extract<Condition, { operator: 'test_result' }>): Eval {
  const list = c.name;
  const conditions = c.value.conditions.map((k) => ({ ...k, segs: [k.field], thr: quantityThreshold(cx, c, k.value, k.unit, `${list}[].${k.field}`) }));
  const r = c.value.result;
  const resultInfo = fieldInfo(cx, `${list}[].${r.field}`);
  const resultThr = r.unit !== undefined ? quantityThreshold(cx, c, r.value, r.unit, `${list}[].${r.field}`) : undefined;
  if (!resultThr && resultInfo.type !== 'number') throw invalid(cx.ruleSet, `${cx.entry.key} ${c.id}: ${r.field} needs a unit`);
  const segs = list.split('.');
  const wanted = `${conditions.map((k) => `${k.field} ${k.value} ${k.unit}`).join(', ')}`;
  const label = `${list} (a test at ${wanted})`;
  const base: CondBase = {
    id: c.id,
    operator: 'test_result',
    threshold: { at: conditions.map((k) => ({ [k.field]: { value: k.value, unit: k.unit } })), [r.field]: { [r.operator]: r.value, ...(r.unit ? { unit: r.unit } : {}) } },
    note: c.note,
  };
  return (s) => {
    const tests = get(s.root, segs);
    if (!Array.isArray(tests) || tests.length === 0) {
      return condTrace(base, list, 'unknown', undefined, { missing: true, missing_parameters: [label], detail: `needs a test at ${wanted} or harsher` });
    }
    let any: Truth = U;
    const satisfied: number[] = [];
    const verdicts: string[] = [];
    tests.forEach((test, i) => {
      let harsher = true;
      let milder = true;
      for (const k of conditions) {
        const q = get(test, k.segs);
        if (!isQuantity(q)) {
          harsher = milder = false;
          continue;
        }
        const at = compareToThreshold(q, k.thr, `${list}[${i}].${k.field}`);
        const higher = k.harsher === 'higher';
        if (higher ? at < 0 : at > 0) harsher = false;
        if (higher ? at > 0 : at < 0) milder = false;
      }
      const found = get(test, [r.field]);
      let pass: boolean | undefined;
      if (resultThr && isQuantity(found)) pass = holds(compareToThreshold(found, resultThr, `${list}[${i}].${r.field}`), r.operator);
      else if (!resultThr && typeof found === 'number') pass = holds(cmpNumber(found, r.value), r.operator);
      if (pass === true && harsher) {
        any = T;
        satisfied.push(i);
        verdicts.push(`test ${i}: at the stated or harsher conditions and meets the threshold`);
      } else if (pass === false && milder) {
        if (any !== T) any = F;
        verdicts.push(`test ${i}: at the stated or milder conditions and fails the threshold`);
      } else verdicts.push(`test ${i}: does not decide (other conditions)`);
    });
    return condTrace(base, list, RESULT[any]!, tests, {
      detail: verdicts.join('; '),
      satisfied_by: satisfied.length ? satisfied : undefined,
      missing_parameters: any === U ? [label] : undefined,
    });
  };
}

function compileNotClaimed(cx: CompileCtx, c: Condition): Eval {
  fieldInfo(cx, c.name);
  const segs = c.name.split('.');
  const base: CondBase = { id: c.id, operator: 'not_claimed', note: c.note };
  return (s) => {
    const v = get(s.root, segs);
    const claimed = v === true || (Array.isArray(v) && v.length > 0);
    return condTrace(base, c.name, claimed ? 'not_met' : 'met', v, claimed ? CLAIMED : NOT_CLAIMED);
  };
}

function keyMatches(declared: string, key: string): boolean {
  return declared === key || declared === key.slice(key.indexOf(':') + 1);
}

function compileSpecifiedIn(cx: CompileCtx, c: Extract<Condition, { operator: 'specified_in' }>): Eval {
  const { entries, declared, spec } = c.value;
  if (declared) fieldInfo(cx, declared);
  if (spec && spec.path !== '$self') fieldInfo(cx, spec.path);
  const declaredSegs = declared?.split('.');
  const specSegs = spec && spec.path !== '$self' ? spec.path.split('.') : undefined;
  const base: CondBase = { id: c.id, operator: 'specified_in', threshold: entries, note: c.note };
  return (s) => {
    const stated = declaredSegs ? get(s.root, declaredSegs) : undefined;
    if (stated !== undefined) {
      const v: Truth = typeof stated === 'boolean' ? (stated ? T : F) : Array.isArray(stated) && stated.some((d) => entries.some((k) => keyMatches(String(d), k))) ? T : F;
      return condTrace(base, declared, RESULT[v]!, stated, STATED);
    }
    if (!spec) {
      return condTrace(base, c.name, 'unknown', undefined, MISSING);
    }
    let target: Obj | undefined;
    if (spec.path === '$self') target = s.root;
    else {
      const found = get(s.root, specSegs!);
      if (isObj(found)) target = spec.wrap_as ? { kind: spec.wrap_as.kind, [spec.wrap_as.field]: found } : found;
    }
    if (!target) {
      return condTrace(base, spec.path, 'unknown', undefined, { missing: true, detail: declared ? `give ${spec.path}, or state ${declared}` : undefined });
    }
    if (s.depth >= MAX_REFERENCE_DEPTH) {
      return condTrace(base, c.name, 'review', undefined, { detail: `references nested deeper than ${MAX_REFERENCE_DEPTH} levels` });
    }
    const referenced: EntryResult[] = [];
    let v: Truth = F;
    const missing: string[] = [];
    const prefix = spec.path === '$self' ? '' : spec.wrap_as ? spec.path : `${spec.path}.`;
    const strip = spec.wrap_as ? `${spec.wrap_as.field}` : '';
    for (const key of entries) {
      const ce = s.engine.byKey.get(key);
      if (!ce) {
        const why = `${c.id}: entry ${key} is not in the loaded rule sets`;
        referenced.push(notModelled(key, why));
        if (v !== T && v !== U) v = R;
        continue;
      }
      const res = evaluateEntry(ce, target as ItemSpec, s.engine, s.depth + 1);
      referenced.push(res);
      const rv: Truth = res.status === 'controlled' ? T : res.status === 'needs_information' ? U : res.status === 'needs_review' ? R : F;
      if (rv === T) v = T;
      else if (rv === U && v !== T) v = U;
      else if (rv === R && v === F) v = R;
      if (rv === U) for (const m of res.missing) missing.push(strip && m.startsWith(strip) ? `${prefix}${m.slice(strip.length)}` : `${prefix}${m}`);
    }
    return condTrace(base, spec.path, RESULT[v]!, undefined, {
      detail: 'classified the target specification',
      referenced,
      missing_parameters: v === U ? missing : undefined,
    });
  };
}

function compileNote(c: Condition): Eval {
  const t = condTrace({ id: c.id, operator: 'note', note: c.note }, c.name, 'met', undefined, { detail: 'guidance only' });
  return () => t;
}

function compileCondition(cx: CompileCtx, c: Condition): Eval {
  switch (c.operator) {
    case 'composition_sum':
      return compileCompositionSum(cx, c);
    case 'test_result':
      return compileTestResult(cx, c);
    case 'not_claimed':
      return compileNotClaimed(cx, c);
    case 'specified_in':
      return compileSpecifiedIn(cx, c);
    case 'note':
      return compileNote(c);
    default:
      return compileValueCondition(cx, c);
  }
}

// ------------------------------------------------------------------ logic nodes

function combine(kind: 'all' | 'any', children: Eval[]): Eval {
  const n = children.length;
  const all = kind === 'all';
  return (s) => {
    const traces: TraceNode[] = new Array(n);
    let f = false;
    let t = false;
    let u = false;
    let r = false;
    for (let i = 0; i < n; i++) {
      const o = children[i]!(s);
      traces[i] = o;
      const res = o.result;
      if (res === 'not_met') f = true;
      else if (res === 'met') t = true;
      else if (res === 'unknown') u = true;
      else r = true;
    }
    const result: NodeResult = all ? (f ? 'not_met' : u ? 'unknown' : r ? 'review' : 'met') : t ? 'met' : u ? 'unknown' : r ? 'review' : 'not_met';
    return { node: kind, result, children: traces };
  };
}

function compileLogic(cx: CompileCtx, node: LogicNode): Eval {
  if (typeof node === 'string') {
    const c = cx.conditions.get(node);
    if (!c) throw invalid(cx.ruleSet, `${cx.entry.key}: logic names unknown parameter ${node}`);
    return compileCondition(cx, c);
  }
  if ('all' in node) return combine('all', node.all.map((n) => compileLogic(cx, n)));
  if ('any' in node) return combine('any', node.any.map((n) => compileLogic(cx, n)));
  if ('not' in node) {
    const child = compileLogic(cx, node.not);
    return (s) => {
      const o = child(s);
      const result: NodeResult = o.result === 'met' ? 'not_met' : o.result === 'not_met' ? 'met' : o.result;
      return { node: 'not', result, children: [o] };
    };
  }
  if ('unmodelled' in node) {
    const t: TraceNode = { node: 'unmodelled', result: 'review', text: node.unmodelled };
    return () => t;
  }
  const { path, where } = node.any_element;
  const info = ITEM_FIELDS.get(path);
  if (!info || info.type !== 'list') throw invalid(cx.ruleSet, `${cx.entry.key}: any_element path ${path} is not a list of objects`);
  if (cx.list) throw invalid(cx.ruleSet, `${cx.entry.key}: nested any_element is not supported`);
  const inner = compileLogic({ ...cx, list: path }, where);
  const segs = path.split('.');
  const missingList: TraceNode = { node: 'any_element', path, result: 'unknown', missing: true };
  return (s) => {
    const list = get(s.root, segs);
    if (list === undefined) return missingList;
    const items = list as unknown[];
    const elements: TraceNode[] = new Array(items.length);
    const satisfied: number[] = [];
    let u = false;
    let r = false;
    for (let i = 0; i < items.length; i++) {
      const o = inner({ root: s.root, el: items[i], index: i, engine: s.engine, depth: s.depth });
      elements[i] = { node: 'element', index: i, result: o.result, children: [o] };
      if (o.result === 'met') satisfied.push(i);
      else if (o.result === 'unknown') u = true;
      else if (o.result === 'review') r = true;
    }
    const result: NodeResult = satisfied.length > 0 ? 'met' : u ? 'unknown' : r ? 'review' : 'not_met';
    return { node: 'any_element', path, result, satisfied_by: satisfied, children: elements, detail: items.length === 0 ? 'the list is empty' : undefined };
  };
}

/** The missing parameters under a node whose result is unknown: only from the children that keep it unknown. */
function missingOf(t: TraceNode, acc: string[]): string[] {
  if (t.node === 'condition') {
    if (t.missing_parameters) for (const m of t.missing_parameters) acc.push(m);
    else if (t.missing && t.parameter) acc.push(t.parameter);
  } else if (t.node === 'any_element' && t.missing) acc.push(t.path!);
  else if (t.children) for (const c of t.children) if (c.result === 'unknown') missingOf(c, acc);
  return acc;
}

/** The texts needing review under a node whose result is review. */
function reviewOf(t: TraceNode, key: string, acc: string[]): string[] {
  if (t.node === 'unmodelled') acc.push(`${key}: ${t.text}`);
  else if (t.node === 'condition') {
    if (t.referenced) for (const r of t.referenced) if (r.status === 'needs_review') acc.push(...r.review);
    if (!t.referenced) acc.push(`${t.id}: ${t.detail}`);
  } else if (t.children) for (const c of t.children) if (c.result === 'review') reviewOf(c, key, acc);
  return acc;
}

// ------------------------------------------------------------------ entries and engine

export interface CompiledEntry {
  entry: Entry;
  ruleSetId: string;
  /** branch per item kind */
  byKind: Map<string, { name: string; run: Eval }>;
  /** frozen results for kinds the entry does not cover */
  notApplicable: Map<string, EntryResult>;
}

export interface LoadedRuleSet {
  ruleSet: RuleSet;
  /** sha256 of the rule-set file text */
  sha256: string;
}

export interface Engine {
  ruleSets: LoadedRuleSet[];
  /** what a classification records about the rule sets it used */
  refs: RuleSetRef[];
  entries: CompiledEntry[];
  byKey: Map<string, CompiledEntry>;
}

const ruleSetRef = ({ ruleSet, sha256 }: LoadedRuleSet): RuleSetRef => ({ id: ruleSet.id, regime: ruleSet.regime, version: ruleSet.version, sha256 });

/** The sha256 that identifies a rule set: over its canonical file text. */
export function ruleSetDigest(rs: RuleSet): string {
  return createHash('sha256').update(JSON.stringify(rs, null, 2) + '\n').digest('hex');
}

function notModelled(key: string, why: string): EntryResult {
  return {
    key,
    regime: key.slice(0, key.indexOf(':')),
    id: key.slice(key.indexOf(':') + 1),
    title: '(not in the loaded rule sets)',
    status: 'needs_review',
    applicable: true,
    missing: [],
    review: [why],
    trace: { node: 'unmodelled', result: 'review', text: why },
    notes: [],
    reasons_for_control: [],
    confidence: 'unknown',
    role: 'control_entry',
  };
}

function compileEntry(ruleSetId: string, entry: Entry): CompiledEntry {
  const conditions = new Map<string, Condition>();
  for (const c of entry.parameters) {
    if (conditions.has(c.id)) throw invalid(ruleSetId, `${entry.key}: duplicate parameter id ${c.id}`);
    conditions.set(c.id, c);
  }
  const cx: CompileCtx = { ruleSet: ruleSetId, entry, conditions };
  const byKind = new Map<string, { name: string; run: Eval }>();
  for (const b of entry.branches) {
    const run = compileLogic(cx, b.logic);
    for (const k of b.item_kinds) if (!byKind.has(k)) byKind.set(k, { name: b.name, run });
  }
  const notApplicable = new Map<string, EntryResult>();
  return { entry, ruleSetId, byKind, notApplicable };
}

function referenceEdges(entry: Entry): string[] {
  return entry.parameters.flatMap((c) => (c.operator === 'specified_in' ? c.value.entries : []));
}

/**
 * Compile rule sets once (checks every parameter against the item schema,
 * every unit against its field's dimension, every enum value, every entry
 * reference for cycles). Throws CLASSIFICATION_RULESET_INVALID.
 */
export function compileRuleSets(sets: LoadedRuleSet[]): Engine {
  const entries: CompiledEntry[] = [];
  const byKey = new Map<string, CompiledEntry>();
  for (const { ruleSet } of sets) {
    for (const e of ruleSet.entries) {
      if (byKey.has(e.key)) throw invalid(ruleSet.id, `entry ${e.key} appears twice`);
      const ce = compileEntry(ruleSet.id, e);
      entries.push(ce);
      byKey.set(e.key, ce);
    }
  }
  // References between entries must not loop (a loop would never settle).
  const state = new Map<string, 1 | 2>();
  const visit = (key: string, trail: string[]) => {
    const st = state.get(key);
    if (st === 2) return;
    if (st === 1) throw invalid('(all)', `entry references loop: ${[...trail, key].join(' -> ')}`);
    state.set(key, 1);
    const ce = byKey.get(key);
    // A self-reference (a component branch classifying its machine against the same entry) changes the item kind, so it settles.
    if (ce) for (const next of referenceEdges(ce.entry)) if (next !== key) visit(next, [...trail, key]);
    state.set(key, 2);
  };
  for (const key of byKey.keys()) visit(key, []);
  return { ruleSets: sets, refs: sets.map(ruleSetRef), entries, byKey };
}

/** Evaluate one entry on one item. */
export function evaluateEntry(ce: CompiledEntry, item: ItemSpec, engine: Engine, depth = 0): EntryResult {
  const e = ce.entry;
  const branch = ce.byKind.get(item.kind);
  if (!branch) {
    let cached = ce.notApplicable.get(item.kind);
    if (!cached) {
      cached = {
        key: e.key,
        regime: e.regime,
        id: e.id,
        title: e.title,
        status: 'not_controlled',
        applicable: false,
        missing: EMPTY,
        review: EMPTY,
        trace: { node: 'applicability', result: 'not_met', detail: `the entry covers ${e.item_kinds.join(', ')}; this item is ${item.kind}` },
        notes: e.notes,
        reasons_for_control: e.reasons_for_control,
        confidence: e.confidence,
        role: e.role,
        ...(e.effect ? { effect: e.effect } : {}),
      };
      ce.notApplicable.set(item.kind, cached);
    }
    return cached;
  }
  const t = branch.run({ root: item as unknown as Obj, el: undefined, index: -1, engine, depth });
  return {
    key: e.key,
    regime: e.regime,
    id: e.id,
    title: e.title,
    status: STATUS_OF[t.result],
    applicable: true,
    branch: branch.name,
    missing: t.result === 'unknown' ? [...new Set(missingOf(t, []))] : EMPTY,
    review: t.result === 'review' ? [...new Set(reviewOf(t, e.key, []))] : EMPTY,
    trace: t,
    notes: e.notes,
    reasons_for_control: e.reasons_for_control,
    confidence: e.confidence,
    role: e.role,
    effect: e.effect,
  };
}

/** Which rule sets a `--regime` filter selects: by id (us-ear), regime name (US-EAR) or key prefix (UK-ECO2008). */
export function selectRuleSets(engine: Engine, regimes?: string[]): LoadedRuleSet[] {
  if (!regimes || regimes.length === 0) return engine.ruleSets;
  const wanted = regimes.map((r) => r.toLowerCase());
  const selected = engine.ruleSets.filter(({ ruleSet }) => {
    const names = [ruleSet.id, ruleSet.regime, ...new Set(ruleSet.entries.map((e) => e.key.slice(0, e.key.indexOf(':'))))].map((n) => n.toLowerCase());
    return wanted.some((w) => names.includes(w));
  });
  const known = engine.ruleSets.map((r) => r.ruleSet.id);
  for (const w of wanted) {
    const hit = engine.ruleSets.some(({ ruleSet }) =>
      [ruleSet.id, ruleSet.regime, ...ruleSet.entries.map((e) => e.key.slice(0, e.key.indexOf(':')))].some((n) => n.toLowerCase() === w),
    );
    if (!hit) throw new FabgateError('CLASSIFICATION_REGIME_UNKNOWN', `unknown regime "${w}" (known: ${known.join(', ')})`, 'invalid_input', { known });
  }
  return selected;
}

/** Classify an item against every entry of the selected rule sets. */
export function classify(engine: Engine, item: ItemSpec, options: { regimes?: string[] } = {}): Classification {
  const filtered = options.regimes !== undefined && options.regimes.length > 0;
  const sets = filtered ? selectRuleSets(engine, options.regimes) : engine.ruleSets;
  const ids = filtered ? new Set(sets.map((s) => s.ruleSet.id)) : undefined;
  const results: EntryResult[] = [];
  const controlled_by: string[] = [];
  const needs_information: string[] = [];
  const needs_review: string[] = [];
  for (const ce of engine.entries) {
    if (ids && !ids.has(ce.ruleSetId)) continue;
    const r = evaluateEntry(ce, item, engine);
    results.push(r);
    if (r.status === 'controlled') controlled_by.push(r.key);
    else if (r.status === 'needs_information') needs_information.push(r.key);
    else if (r.status === 'needs_review') needs_review.push(r.key);
  }
  const rule_sets: RuleSetRef[] = filtered ? sets.map(ruleSetRef) : engine.refs;
  return { item: { kind: item.kind, id: item.id, name: item.name }, rule_sets, controlled_by, needs_information, needs_review, results };
}

export type { ItemKind };
