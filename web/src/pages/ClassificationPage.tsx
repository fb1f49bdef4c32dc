/**
 * The classification module: classify an item (guided form or JSON) with its
 * trace and destination check, the organisation's item register with recorded
 * classifications, and the rule sets with their dates. One page at
 * /classification; the view is in the query (`?view=register`, `?view=item&id=…`,
 * `?view=rules`) so the navigation entry stays current and a reload keeps the view.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, type Session } from '../api';
import { ErrorMessage } from '../components/ErrorMessage';
import { AppLink } from '../components/AppLink';
import { navigate, useLocation } from '../router';
import { fieldErrors, ItemForm } from './ClassificationForm';
import { ItemDetail, ItemRegister } from './ClassificationRegister';
import { ClassificationResultView } from './ClassificationResult';
import { RuleSets } from './ClassificationRules';
import { CountrySelect, useItemSchema, type Classification, type Item, type Json } from './ClassificationShared';

function Tabs({ view, session }: { view: string; session: Session }) {
  const tabs = [
    { view: 'classify', label: 'Classify an item', show: session.permissions.includes('classification:run') },
    { view: 'register', label: 'Item register', show: session.permissions.includes('items:read') },
    { view: 'rules', label: 'Rule sets', show: true },
  ].filter((t) => t.show);
  const current = view === 'item' ? 'register' : view;
  return (
    <nav className="cls-tabs" aria-label="Classification">
      <ul>
        {tabs.map((t) => (
          <li key={t.view}>
            <AppLink to={`/classification?view=${t.view}`} current={current === t.view}>
              {t.label}
            </AppLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Classify ad hoc: build the specification, pick a destination, read the answer; save it to the register if it is one of ours. */
function ClassifyView({ session }: { session: Session }) {
  const { schema, error: schemaError } = useItemSchema();
  const [spec, setSpec] = useState<Json>({ kind: 'am_machine' });
  const [destination, setDestination] = useState('');
  const [result, setResult] = useState<Classification | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<Item | null>(null);
  const resultHeading = useRef<HTMLHeadingElement>(null);

  async function classify(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(null);
    try {
      const c = await api<Classification>('POST', '/api/classification/classify', { item: spec, ...(destination ? { destination } : {}) });
      setResult(c);
    } catch (err) {
      setError(err);
      setResult(null);
    } finally {
      setBusy(false);
    }
  }
  // Move focus to the answer, so keyboard and screen-reader users land on it.
  useEffect(() => {
    if (result) resultHeading.current?.focus();
  }, [result]);

  async function save() {
    setError(null);
    try {
      const item = await api<Item>('POST', '/api/items', { spec });
      setSaved(item);
    } catch (err) {
      setError(err);
    }
  }

  if (schemaError) return <ErrorMessage error={schemaError} />;
  if (!schema) return <p className="muted">Loading the item schema…</p>;
  const errors = error instanceof ApiError ? fieldErrors(error.details) : {};
  return (
    <>
      <form onSubmit={classify} aria-label="Item specification" noValidate>
        <p className="muted">
          Describe the item parameter by parameter. Leave a parameter “not stated” if you do not know it: an entry that needs it will say so instead of guessing.
        </p>
        <ItemForm schema={schema} value={spec} onChange={setSpec} errors={errors} />
        <div className="cls-actions">
          <CountrySelect value={destination} onChange={setDestination} />
          <button type="submit" disabled={busy}>
            {busy ? 'Classifying…' : 'Classify'}
          </button>
          {session.permissions.includes('items:write') && (
            <button type="button" className="secondary" onClick={() => void save()}>
              Save to item register
            </button>
          )}
        </div>
        <ErrorMessage error={error} />
        {saved && (
          <p role="status" className="cls-callout ok">
            Saved as <a href={`/classification?view=item&id=${saved.id}`} onClick={(e) => (e.preventDefault(), navigate(`/classification?view=item&id=${saved.id}`))}>{saved.name}</a> (revision {saved.revision}). Record its classification there.
          </p>
        )}
      </form>
      {result && (
        <section aria-labelledby="cls-result-heading" className="cls-result-wrap">
          <h2 id="cls-result-heading" ref={resultHeading} tabIndex={-1}>
            Classification of {result.item.name ?? result.item.kind.replace(/_/g, ' ')}
          </h2>
          <p role="status" className="visually-hidden">
            {result.controlled_by.length ? `Controlled by ${result.controlled_by.join(', ')}` : 'Not controlled by any entry'}
          </p>
          <ClassificationResultView c={result} />
        </section>
      )}
    </>
  );
}

export function ClassificationPage({ session }: { session: Session }) {
  const { query } = useLocation();
  const fallback = session.permissions.includes('classification:run') ? 'classify' : session.permissions.includes('items:read') ? 'register' : 'rules';
  const view = query.get('view') ?? fallback;
  let body;
  if (view === 'classify' && session.permissions.includes('classification:run')) body = <ClassifyView session={session} />;
  else if (view === 'register' && session.permissions.includes('items:read')) body = <ItemRegister />;
  else if (view === 'item' && session.permissions.includes('items:read') && query.get('id')) body = <ItemDetail id={query.get('id')!} session={session} />;
  else if (view === 'rules') body = <RuleSets session={session} />;
  else body = <p>There is no such view for your role.</p>;
  return (
    <section className="cls-page">
      <h1>Classification</h1>
      <Tabs view={view} session={session} />
      {body}
    </section>
  );
}
