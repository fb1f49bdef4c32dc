/**
 * A classification trace as a tree: each logic node (all / any / not / any
 * element of a list) with its result, each parameter with the value found, the
 * value converted to the threshold's unit, the operator, the threshold and the
 * result, and which list element (which sensor) satisfied the entry. Branches
 * are native <details>, so the tree opens and closes from the keyboard and
 * screen readers announce it; results are words, the colours only repeat them.
 */
import type { ReactNode } from 'react';
import type { TraceNode } from '../pages/ClassificationShared';

const RESULT: Record<TraceNode['result'], { mark: string; word: string }> = {
  met: { mark: '✓', word: 'met' },
  not_met: { mark: '✗', word: 'not met' },
  unknown: { mark: '?', word: 'unknown — missing' },
  review: { mark: '!', word: 'needs review' },
};

const OPERATOR: Record<string, string> = {
  eq: '=',
  in: 'is one of',
  includes: 'includes',
  includes_any: 'includes any of',
  gt: '>',
  gte: '≥',
  lt: '<',
  lte: '≤',
  in_range: 'in range',
  composition_sum: 'sum of',
  test_result: 'test result',
  dims_gte: 'each edge ≥',
  specified_in: 'specified in',
  not_claimed: 'not claimed',
  note: 'note',
};

function show(v: unknown): string {
  if (v === undefined) return '—';
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (typeof o.value === 'number' && typeof o.unit === 'string') return `${o.value} ${o.unit}`;
    if ('min' in o || 'max' in o) {
      const lo = o.min === undefined ? '' : `${o.min_inclusive ? '[' : '('}${o.min as number}`;
      const hi = o.max === undefined ? '' : `${o.max as number}${o.max_inclusive ? ']' : ')'}`;
      return `${lo || '(−∞'}, ${hi || '∞)'}${o.unit ? ` ${o.unit as string}` : ''}`;
    }
  }
  if (Array.isArray(v)) return v.map(show).join(', ');
  return JSON.stringify(v);
}

function Result({ r }: { r: TraceNode['result'] }) {
  return (
    <span className={`trace-result ${r}`}>
      <span aria-hidden="true">{RESULT[r].mark}</span> {RESULT[r].word}
    </span>
  );
}

function label(t: TraceNode, list?: string): ReactNode {
  switch (t.node) {
    case 'all':
      return <>all of the following</>;
    case 'any':
      return <>any of the following</>;
    case 'not':
      return <>not</>;
    case 'any_element':
      return (
        <>
          at least one element of <code>{t.path}</code>
          {t.satisfied_by && t.satisfied_by.length > 0 && (
            <strong className="trace-satisfied"> — satisfied by element {t.satisfied_by.map((i) => `[${i}]`).join(', ')}</strong>
          )}
        </>
      );
    case 'element':
      return (
        <>
          element <code>{list ? `${list}[${t.index}]` : `[${t.index}]`}</code>
        </>
      );
    case 'unmodelled':
      return <>not modelled: {t.text}</>;
    case 'applicability':
      return <>{t.detail}</>;
    case 'condition':
      return (
        <span className="trace-condition">
          <code className="trace-id">{t.id}</code> <code>{t.parameter}</code> {OPERATOR[t.operator ?? ''] ?? t.operator}{' '}
          <span className="trace-threshold">{show(t.threshold)}</span>
          {' · '}
          {t.missing ? (
            <span className="trace-missing">not given{t.missing_parameters?.length ? `: ${t.missing_parameters.join(', ')}` : ''}</span>
          ) : (
            <>
              found <span className="trace-found">{show(t.found)}</span>
              {t.converted && !Array.isArray(t.converted) && show(t.found) !== show(t.converted) && <> = {show(t.converted)}</>}
              {Array.isArray(t.converted) && <> = {show(t.converted)}</>}
            </>
          )}
        </span>
      );
  }
}

function Node({ t, list, depth }: { t: TraceNode; list?: string; depth: number }) {
  const kids = t.children ?? [];
  const referenced = t.referenced ?? [];
  const extra = (
    <>
      {t.note && <p className="trace-note">{t.note}</p>}
      {t.detail && t.node !== 'applicability' && <p className="trace-note">{t.detail}</p>}
    </>
  );
  const head = (
    <>
      <Result r={t.result} /> {label(t, list)}
    </>
  );
  if (kids.length === 0 && referenced.length === 0) {
    return (
      <li className={`trace-leaf ${t.result}`}>
        {head}
        {extra}
      </li>
    );
  }
  // Open what decided the answer (met and open branches) down to a few levels; the rest on demand.
  const open = depth < 2 || t.result !== 'not_met';
  return (
    <li className={`trace-branch ${t.result}`}>
      <details open={open}>
        <summary>{head}</summary>
        {extra}
        <ul>
          {kids.map((c, i) => (
            <Node key={i} t={c} list={t.node === 'any_element' ? t.path : list} depth={depth + 1} />
          ))}
          {referenced.map((r) => (
            <li key={r.key} className={`trace-branch ${r.trace.result}`}>
              <details>
                <summary>
                  <Result r={r.trace.result} /> target classified against <code>{r.key}</code>: {r.status.replace(/_/g, ' ')}
                </summary>
                <ul>
                  <Node t={r.trace} depth={depth + 2} />
                </ul>
              </details>
            </li>
          ))}
        </ul>
      </details>
    </li>
  );
}

/** The explanation tree of one entry's result. */
export function TraceTree({ trace, label: name }: { trace: TraceNode; label: string }) {
  return (
    <ul className="trace" aria-label={name}>
      <Node t={trace} depth={0} />
    </ul>
  );
}
