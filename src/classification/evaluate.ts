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
const STATUS: readonly EntryStatus[] = ['not_controlled', 'controlled', 'needs_information', 'needs_review'];
const NONE: readonly string[] = Object.freeze([]);

/** How deep `specified_in` may classify targets of targets (rules reference at most one level today). */
const MAX_REFERENCE_DEPTH = 4;

interface Out {
  v: Truth;
  t: TraceNode;
  /** missing parameters, meaningful when v is U */
  m: readonly string[];
  /** review texts, meaningful when v is R */
  r: readonly string[];
}

type Obj = Record<string, unknown>;

interface Scope {
  root: Obj;
  /** current list element inside any_element */
  el: unknown;
  elPath: string;
  engine: Engine;
  depth: number;
}

type Eval = (s: Scope) => Out;

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
function derivedBaseMetal(composition: unknown): string | undefined {
  if (!isObj(composition)) return undefined;
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
  const base = { node: 'condition' as const, id: c.id, operator: c.operator, threshold: thresholdOf(c), ...(c.note ? { note: c.note } : {}) };
  // An element not listed in a declared composition is absent: 0 wt% (item-schema.ts says so).
  const compositionDefault = segs.length >= 2 && segs[segs.length - 2] === 'composition' && /_wt_pct$/.test(segs[segs.length - 1]!);
  const parentSegs = segs.slice(0, -1);
  const derivesBaseMetal = !relative && c.name === 'material.base_metal';
  return (s) => {
    const param = relative ? `${s.elPath}.${rel}` : c.name;
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
      return { v: U, t: { ...base, parameter: param, missing: true, result: 'unknown' }, m: [param], r: NONE };
    }
    const res = test(value, param);
    const t: TraceNode = { ...base, parameter: param, found: value, result: RESULT[res.v]! };
    if (res.converted) t.converted = res.converted;
    const d = res.detail ?? detail;
    if (d) t.detail = res.detail && detail ? `${detail}; ${res.detail}` : d;
    return { v: res.v, t, m: res.v === U ? [param] : NONE, r: res.v === R ? [`${c.id}: ${res.detail}`] : NONE };
  };
}

function compileCompositionSum(cx: CompileCtx, c: Extract<Condition, { operator: 'composition_sum' }>): Eval {
  for (const el of c.value.elements) fieldInfo(cx, `${c.name}.${el}_wt_pct`);
  const segs = c.name.split('.');
  const keys = c.value.elements.map((el) => `${el}_wt_pct`);
  const op = c.value.operator;
  const base = { node: 'condition' as const, id: c.id, parameter: c.name, operator: `sum(${c.value.elements.join('+')}) ${op}`, threshold: { value: c.value.threshold, unit: 'wt%' }, ...(c.note ? { note: c.note } : {}) };
  return (s) => {
    const comp = get(s.root, segs);
    if (!isObj(comp)) return { v: U, t: { ...base, missing: true, result: 'unknown' }, m: [c.name], r: NONE };
    const values = keys.map((k) => (typeof comp[k] === 'number' ? (comp[k] as number) : 0));
    const sum = Number(values.reduce((a, b) => a + b, 0).toPrecision(12));
    const v: Truth = holds(cmpSum(values, c.value.threshold), op) ? T : F;
    const found = Object.fromEntries(keys.map((k, i) => [k, values[i]]));
    return { v, t: { ...base, found, converted: { value: sum, unit: 'wt%' }, result: RESULT[v]! }, m: NONE, r: NONE };
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
  const base = {
    node: 'condition' as const,
    id: c.id,
    parameter: list,
    operator: 'test_result',
    threshold: { at: conditions.map((k) => ({ [k.field]: { value: k.value, unit: k.unit } })), [r.field]: { [r.operator]: r.value, ...(r.unit ? { unit: r.unit } : {}) } },
    ...(c.note ? { note: c.note } : {}),
  };
  return (s) => {
    const tests = get(s.root, segs);
    if (!Array.isArray(tests) || tests.length === 0) {
      const param = `${list} (a test at ${wanted})`;
      return { v: U, t: { ...base, missing: true, result: 'unknown', detail: `needs a test at ${wanted} or harsher` }, m: [param], r: NONE };
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
    const t: TraceNode = { ...base, found: tests, result: RESULT[any]!, detail: verdicts.join('; ') };
    if (satisfied.length) t.satisfied_by = satisfied;
    const param = `${list} (a test at ${wanted})`;
    return { v: any, t, m: any === U ? [param] : NONE, r: NONE };
  };
}

function compileNotClaimed(cx: CompileCtx, c: Condition): Eval {
  fieldInfo(cx, c.name);
  const segs = c.name.split('.');
  const base = { node: 'condition' as const, id: c.id, parameter: c.name, operator: 'not_claimed', ...(c.note ? { note: c.note } : {}) };
  return (s) => {
    const v = get(s.root, segs);
    const claimed = v === true || (Array.isArray(v) && v.length > 0);
    return {
      v: claimed ? F : T,
      t: { ...base, found: v, result: claimed ? 'not_met' : 'met', detail: claimed ? 'claimed by the exporter: the exclusion applies' : 'not claimed' },
      m: NONE,
      r: NONE,
    };
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
  const base = { node: 'condition' as const, id: c.id, parameter: c.name, operator: 'specified_in', threshold: entries, ...(c.note ? { note: c.note } : {}) };
  return (s) => {
    const stated = declaredSegs ? get(s.root, declaredSegs) : undefined;
    if (stated !== undefined) {
      const v: Truth = typeof stated === 'boolean' ? (stated ? T : F) : Array.isArray(stated) && stated.some((d) => entries.some((k) => keyMatches(String(d), k))) ? T : F;
      return { v, t: { ...base, parameter: declared, found: stated, result: RESULT[v]!, detail: "the exporter's own statement" }, m: NONE, r: NONE };
    }
    if (!spec) {
      return { v: U, t: { ...base, missing: true, result: 'unknown' }, m: [c.name], r: NONE };
    }
    let target: Obj | undefined;
    if (spec.path === '$self') target = s.root;
    else {
      const found = get(s.root, specSegs!);
      if (isObj(found)) target = spec.wrap_as ? { kind: spec.wrap_as.kind, [spec.wrap_as.field]: found } : found;
    }
    if (!target) {
      const param = spec.path;
      return {
        v: U,
        t: { ...base, parameter: param, missing: true, result: 'unknown', detail: declared ? `give ${spec.path}, or state ${declared}` : undefined },
        m: [param],
        r: NONE,
      };
    }
    if (s.depth >= MAX_REFERENCE_DEPTH) {
      const why = `${c.id}: references nested deeper than ${MAX_REFERENCE_DEPTH} levels`;
      return { v: R, t: { ...base, result: 'review', detail: why }, m: NONE, r: [why] };
    }
    const referenced: EntryResult[] = [];
    let v: Truth = F;
    const missing: string[] = [];
    const review: string[] = [];
    const prefix = spec.path === '$self' ? '' : spec.wrap_as ? spec.path : `${spec.path}.`;
    const strip = spec.wrap_as ? `${spec.wrap_as.field}` : '';
    for (const key of entries) {
      const ce = s.engine.byKey.get(key);
      if (!ce) {
        const why = `${c.id}: entry ${key} is not in the loaded rule sets`;
        referenced.push(notModelled(key, why));
        if (v !== T && v !== U) v = R;
        review.push(why);
        continue;
      }
      const res = evaluateEntry(ce, target as ItemSpec, s.engine, s.depth + 1);
      referenced.push(res);
      const rv: Truth = res.status === 'controlled' ? T : res.status === 'needs_information' ? U : res.status === 'needs_review' ? R : F;
      if (rv === T) v = T;
      else if (rv === U && v !== T) v = U;
      else if (rv === R && v === F) v = R;
      for (const m of res.missing) missing.push(strip && m.startsWith(strip) ? `${prefix}${m.slice(strip.length)}` : `${prefix}${m}`);
      review.push(...res.review);
    }
    return {
      v,
      t: { ...base, parameter: spec.path, result: RESULT[v]!, detail: 'classified the target specification', referenced },
      m: v === U ? missing : NONE,
      r: v === R ? review : NONE,
    };
  };
}

function compileNote(c: Condition): Eval {
  const t: TraceNode = { node: 'condition', id: c.id, parameter: c.name, operator: 'note', result: 'met', ...(c.note ? { note: c.note } : {}), detail: 'guidance only' };
  const out: Out = { v: T, t, m: NONE, r: NONE };
  return () => out;
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
  return (s) => {
    const outs: Out[] = new Array(n);
    let f = false;
    let t = false;
    let u = false;
    let r = false;
    for (let i = 0; i < n; i++) {
      const o = children[i]!(s);
      outs[i] = o;
      if (o.v === F) f = true;
      else if (o.v === T) t = true;
      else if (o.v === U) u = true;
      else r = true;
    }
    const v: Truth = kind === 'all' ? (f ? F : u ? U : r ? R : T) : t ? T : u ? U : r ? R : F;
    let m: readonly string[] = NONE;
    let rv: readonly string[] = NONE;
    if (v === U) m = outs.filter((o) => o.v === U).flatMap((o) => o.m);
    if (v === R) rv = outs.filter((o) => o.v === R).flatMap((o) => o.r);
    return { v, t: { node: kind, result: RESULT[v]!, children: outs.map((o) => o.t) }, m, r: rv };
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
      const v: Truth = o.v === T ? F : o.v === F ? T : o.v;
      return { v, t: { node: 'not', result: RESULT[v]!, children: [o.t] }, m: o.m, r: o.r };
    };
  }
  if ('unmodelled' in node) {
    const text = node.unmodelled;
    const out: Out = { v: R, t: { node: 'unmodelled', result: 'review', text }, m: NONE, r: [`${cx.entry.key}: ${text}`] };
    return () => out;
  }
  const { path, where } = node.any_element;
  const info = ITEM_FIELDS.get(path);
  if (!info || info.type !== 'list') throw invalid(cx.ruleSet, `${cx.entry.key}: any_element path ${path} is not a list of objects`);
  if (cx.list) throw invalid(cx.ruleSet, `${cx.entry.key}: nested any_element is not supported`);
  const inner = compileLogic({ ...cx, list: path }, where);
  const segs = path.split('.');
  return (s) => {
    const list = get(s.root, segs);
    if (list === undefined) {
      return { v: U, t: { node: 'any_element', path, result: 'unknown', missing: true }, m: [path], r: NONE };
    }
    const items = list as unknown[];
    const elements: TraceNode[] = [];
    const satisfied: number[] = [];
    let u = false;
    let r = false;
    const missing: string[] = [];
    const review: string[] = [];
    for (let i = 0; i < items.length; i++) {
      const o = inner({ root: s.root, el: items[i], elPath: `${path}[${i}]`, engine: s.engine, depth: s.depth });
      elements.push({ node: 'element', index: i, result: RESULT[o.v]!, children: [o.t] });
      if (o.v === T) satisfied.push(i);
      else if (o.v === U) {
        u = true;
        missing.push(...o.m);
      } else if (o.v === R) {
        r = true;
        review.push(...o.r);
      }
    }
    const v: Truth = satisfied.length > 0 ? T : u ? U : r ? R : F;
    const t: TraceNode = { node: 'any_element', path, result: RESULT[v]!, satisfied_by: satisfied, children: elements };
    if (items.length === 0) t.detail = 'the list is empty';
    return { v, t, m: v === U ? missing : NONE, r: v === R ? review : NONE };
  };
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
  entries: CompiledEntry[];
  byKey: Map<string, CompiledEntry>;
}

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
  return { ruleSets: sets, entries, byKey };
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
        missing: [],
        review: [],
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
  const o = branch.run({ root: item as unknown as Obj, el: undefined, elPath: '', engine, depth });
  return {
    key: e.key,
    regime: e.regime,
    id: e.id,
    title: e.title,
    status: STATUS[o.v]!,
    applicable: true,
    branch: branch.name,
    missing: o.v === U ? [...new Set(o.m)] : [],
    review: o.v === R ? [...new Set(o.r)] : [],
    trace: o.t,
    notes: e.notes,
    reasons_for_control: e.reasons_for_control,
    confidence: e.confidence,
    role: e.role,
    ...(e.effect ? { effect: e.effect } : {}),
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
  const sets = selectRuleSets(engine, options.regimes);
  const ids = new Set(sets.map((s) => s.ruleSet.id));
  const results: EntryResult[] = [];
  for (const ce of engine.entries) if (ids.has(ce.ruleSetId)) results.push(evaluateEntry(ce, item, engine));
  const rule_sets: RuleSetRef[] = sets.map(({ ruleSet, sha256 }) => ({ id: ruleSet.id, regime: ruleSet.regime, version: ruleSet.version, sha256 }));
  return {
    item: { kind: item.kind, ...(item.id ? { id: item.id } : {}), ...(item.name ? { name: item.name } : {}) },
    rule_sets,
    controlled_by: results.filter((r) => r.status === 'controlled').map((r) => r.key),
    needs_information: results.filter((r) => r.status === 'needs_information').map((r) => r.key),
    needs_review: results.filter((r) => r.status === 'needs_review').map((r) => r.key),
    results,
  };
}

export type { ItemKind };
