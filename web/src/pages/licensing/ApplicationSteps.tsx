/**
 * The steps of the application wizard, one form each. A step saves only its
 * own section (PATCH replaces the sections it names; items, parties and
 * documents have their own routes), and hands the refreshed application —
 * with the checklist the server computed — back to the wizard.
 */
import { useEffect, useId, useState, type FormEvent } from 'react';
import { api } from '../../api';
import { DataTable } from '../../components/DataTable';
import { ErrorMessage } from '../../components/ErrorMessage';
import { AppLink, CountryField, countryLabel, fmtMoney, fmtNumber, fmtTime, kib, numOrUndef, ScreeningBadge, Status, useAction, words } from './shared';
import type { AppItem, ApplicationContent, ExporterApplication, LicenceType, Party, Reference } from './types';

export interface StepProps {
  app: ExporterApplication;
  ref_: Reference;
  type: LicenceType;
  /** The application as the server returned it after a change. */
  onChange: (app: ExporterApplication) => void;
  /** Fetch the application again (after a change whose route returns only the part changed). */
  reload: () => Promise<void>;
}

/** PATCH sections of the application and hand back the result. */
function usePatch(p: StepProps) {
  const action = useAction();
  const [saved, setSaved] = useState(false);
  const patch = async (body: Record<string, unknown>) => {
    setSaved(false);
    const r = await action.run(() => api<ExporterApplication>('PATCH', `/api/applications/${p.app.id}`, body));
    if (r) {
      p.onChange(r);
      setSaved(true);
    }
  };
  return { ...action, patch, saved };
}

function Saved({ show }: { show: boolean }) {
  return (
    <span role="status" className="lic-saved">
      {show ? 'Saved — the checklist is updated.' : ''}
    </span>
  );
}

/** The save button of a step, its "Saved" notice and its error. */
function SaveBar({ label, state, locked = false }: { label: string; state: ReturnType<typeof usePatch>; locked?: boolean }) {
  return (
    <>
      <div className="lic-actions">
        <button type="submit" disabled={state.busy || locked}>
          {label}
        </button>
        <Saved show={state.saved} />
      </div>
      <ErrorMessage error={state.error} />
    </>
  );
}

/* ------------------------------------------------------------- general */

export function GeneralStep(p: StepProps) {
  const id = useId();
  const [authority, setAuthority] = useState(p.app.authority?.id ?? '');
  const [title, setTitle] = useState(p.app.content.title ?? '');
  const s = usePatch(p);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void s.patch({ authority_id: authority || null, title: title.trim() || null });
  };
  return (
    <form onSubmit={submit} className="lic-form">
      <div className="lic-field">
        <span className="lic-label">Licence type</span>
        <p>
          <strong>{p.type.name}</strong> — {p.type.description}
        </p>
        <p className="muted small">
          Default validity {p.type.default_validity_months === null ? 'none (it does not expire)' : `${p.type.default_validity_months} months`}; {p.type.destinations.max === 1 ? 'one destination' : `up to ${p.type.destinations.max} destinations`}.
        </p>
      </div>
      <div className="lic-field">
        <label htmlFor={`${id}-auth`}>Licensing authority</label>
        <select id={`${id}-auth`} value={authority} onChange={(e) => setAuthority(e.target.value)}>
          <option value="">— choose the authority —</option>
          {p.ref_.authorities.map((a) => (
            <option key={a.id} value={a.id}>
              {a.name}
              {a.country ? ` (${a.country})` : ''}
            </option>
          ))}
        </select>
      </div>
      <div className="lic-field">
        <label htmlFor={`${id}-title`}>Title (your own reference)</label>
        <input id={`${id}-title`} value={title} maxLength={200} onChange={(e) => setTitle(e.target.value)} />
      </div>
      <SaveBar label="Save" state={s} />
    </form>
  );
}

/* ------------------------------------------------------------- items */

interface RegisterItem {
  id: string;
  name: string;
  kind: string;
  latest_classification: { status: string; controlled_by: string[]; outdated: boolean } | null;
}

function ClassificationCell({ item }: { item: AppItem }) {
  const c = item.classification;
  if (!c) return <Status value="needs_review" label="not classified" />;
  return (
    <span>
      <Status value={c.status} />{' '}
      {c.controlled_by.length > 0 && <code className="lic-entries">{c.controlled_by.join(', ')}</code>}
      {c.error && <span className="muted small"> {c.error.code}</span>}
      <br />
      <span className="muted small">rule sets {c.rule_sets.map((r) => `${r.id} ${r.version}`).join(', ')}</span>
    </span>
  );
}

function ItemRow({ item, p, quantities }: { item: AppItem; p: StepProps; quantities: boolean }) {
  const [editing, setEditing] = useState(false);
  const [qty, setQty] = useState(String(item.quantity ?? ''));
  const [unit, setUnit] = useState(item.unit ?? 'pieces');
  const [amount, setAmount] = useState(String(item.value?.amount ?? ''));
  const [currency, setCurrency] = useState(item.value?.currency ?? 'EUR');
  const a = useAction();
  const save = async () => {
    const amt = numOrUndef(amount);
    const ok = await a.run(() =>
      api('PATCH', `/api/applications/${p.app.id}/items/${item.id}`, { quantity: numOrUndef(qty) ?? null, unit, value: amt === undefined ? null : { amount: amt, currency: currency.toUpperCase() } }),
    );
    if (ok) {
      setEditing(false);
      await p.reload();
    }
  };
  const act = async (fn: () => Promise<unknown>) => {
    if ((await a.run(fn)) !== undefined) await p.reload();
  };
  return (
    <li className="lic-item">
      <div className="lic-item-head">
        <strong>{item.name}</strong> <span className="muted">{words(item.kind)}</span>
      </div>
      <ClassificationCell item={item} />
      {editing ? (
        <fieldset className="lic-inline">
          <legend className="visually-hidden">Change {item.name}</legend>
          <label>
            Quantity <input type="number" min={0} step="any" value={qty} onChange={(e) => setQty(e.target.value)} />
          </label>
          <label>
            Unit
            <select value={unit} onChange={(e) => setUnit(e.target.value)}>
              {p.ref_.vocabularies.quantity_units.map((u) => (
                <option key={u}>{u}</option>
              ))}
            </select>
          </label>
          <label>
            Value <input type="number" min={0} step="any" value={amount} onChange={(e) => setAmount(e.target.value)} />
          </label>
          <label>
            Currency <input value={currency} maxLength={3} size={4} onChange={(e) => setCurrency(e.target.value)} />
          </label>
          <button type="button" onClick={() => void save()} disabled={a.busy}>
            Save item
          </button>
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </fieldset>
      ) : (
        <p className="lic-item-figures">
          {quantities && (
            <>
              {fmtNumber(item.quantity)} {item.unit ?? ''} · {fmtMoney(item.value)}{' '}
            </>
          )}
          {p.app.editable && (
            <span className="lic-row-actions">
              {quantities && (
                <button type="button" className="secondary" onClick={() => setEditing(true)} aria-label={`Change quantity or value of ${item.name}`}>
                  Change
                </button>
              )}
              <button type="button" className="secondary" onClick={() => void act(() => api('POST', `/api/applications/${p.app.id}/items/${item.id}/classify`))} aria-label={`Classify ${item.name} again`}>
                Classify again
              </button>
              <button type="button" className="secondary" onClick={() => void act(() => api('DELETE', `/api/applications/${p.app.id}/items/${item.id}`).then(() => true))} aria-label={`Remove ${item.name}`}>
                Remove
              </button>
            </span>
          )}
        </p>
      )}
      <ErrorMessage error={a.error} />
    </li>
  );
}

export function ItemsStep(p: StepProps) {
  const id = useId();
  const [register, setRegister] = useState<RegisterItem[] | null>(null);
  const [registerError, setRegisterError] = useState<unknown>(null);
  const [pick, setPick] = useState('');
  const [qty, setQty] = useState('');
  const [unit, setUnit] = useState('pieces');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('EUR');
  const a = useAction();
  const quantities = p.type.quantities !== 'none';
  useEffect(() => {
    api<{ items: RegisterItem[] }>('GET', '/api/items')
      .then((r) => setRegister(r.items))
      .catch((e) => {
        setRegister([]);
        setRegisterError(e);
      });
  }, []);
  const chosen = register?.find((r) => r.id === pick);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (!pick) return;
    const amt = numOrUndef(amount);
    const added = await a.run(async () => {
      // The register keeps the specification; the application classifies it again under the rule sets in force.
      const item = await api<{ spec: unknown }>('GET', `/api/items/${encodeURIComponent(pick)}`);
      return api<AppItem>('POST', `/api/applications/${p.app.id}/items`, {
        spec: item.spec,
        ...(quantities ? { quantity: numOrUndef(qty) ?? null, unit, value: amt === undefined ? null : { amount: amt, currency: currency.toUpperCase() } } : {}),
      });
    });
    if (added) {
      setPick('');
      setQty('');
      setAmount('');
      await p.reload();
    }
  };
  return (
    <div>
      {p.app.items.length === 0 ? (
        <p className="lic-empty">No items yet. Add the items you want to export from your item register.</p>
      ) : (
        <ul className="lic-items" aria-label="Items of the application">
          {p.app.items.map((i) => (
            <ItemRow key={i.id} item={i} p={p} quantities={quantities} />
          ))}
        </ul>
      )}
      {p.app.editable && (
        <form onSubmit={add} className="lic-form lic-subform" aria-label="Add an item">
          <h3>Add an item from the register</h3>
          {register !== null && register.length === 0 ? (
            <p className="lic-empty">
              Your item register is empty. <AppLink to="/classification?view=classify">Classify an item</AppLink> and save it to the register first.
            </p>
          ) : (
            <div className="lic-field">
              <label htmlFor={`${id}-reg`}>Item from the register</label>
              <select id={`${id}-reg`} value={pick} onChange={(e) => setPick(e.target.value)}>
                <option value="">{register === null ? 'Loading…' : '— choose an item —'}</option>
                {(register ?? []).map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name} — {r.latest_classification ? `${words(r.latest_classification.status)}${r.latest_classification.controlled_by.length ? ` (${r.latest_classification.controlled_by.join(', ')})` : ''}` : 'not classified yet'}
                  </option>
                ))}
              </select>
              {chosen && (
                <p className="muted small">
                  {words(chosen.kind)}; latest recorded classification: {chosen.latest_classification ? <Status value={chosen.latest_classification.status} /> : 'none'}
                  {chosen.latest_classification?.outdated ? ' (under an outdated rule set)' : ''}. It is classified again when added.
                </p>
              )}
            </div>
          )}
          {registerError ? <ErrorMessage error={registerError} /> : null}
          {quantities && (
            <div className="lic-grid">
              <div className="lic-field">
                <label htmlFor={`${id}-qty`}>Quantity</label>
                <input id={`${id}-qty`} type="number" min={0} step="any" inputMode="decimal" value={qty} onChange={(e) => setQty(e.target.value)} />
              </div>
              <div className="lic-field">
                <label htmlFor={`${id}-unit`}>Unit</label>
                <select id={`${id}-unit`} value={unit} onChange={(e) => setUnit(e.target.value)}>
                  {p.ref_.vocabularies.quantity_units.map((u) => (
                    <option key={u}>{u}</option>
                  ))}
                </select>
              </div>
              <div className="lic-field">
                <label htmlFor={`${id}-val`}>Value</label>
                <input id={`${id}-val`} type="number" min={0} step="any" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} />
              </div>
              <div className="lic-field">
                <label htmlFor={`${id}-cur`}>Currency</label>
                <input id={`${id}-cur`} value={currency} maxLength={3} onChange={(e) => setCurrency(e.target.value)} aria-describedby={`${id}-cur-help`} />
                <span id={`${id}-cur-help`} className="muted small">ISO 4217 code, e.g. EUR</span>
              </div>
            </div>
          )}
          <div className="lic-actions">
            <button type="submit" disabled={a.busy || !pick}>
              {a.busy ? 'Classifying…' : 'Add item'}
            </button>
          </div>
          <ErrorMessage error={a.error} />
        </form>
      )}
    </div>
  );
}

/* ------------------------------------------------------------- destinations */

export function DestinationsStep(p: StepProps) {
  const id = useId();
  const current = p.app.content.destinations ?? [];
  const single = p.type.destinations.max === 1;
  const [pick, setPick] = useState(single ? (current[0] ?? '') : '');
  const s = usePatch(p);
  const save = (list: string[]) => void s.patch({ destinations: list.length ? list : null });
  return (
    <div className="lic-form">
      {single ? (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            save(pick ? [pick] : []);
          }}
        >
          <div className="lic-field">
            <label htmlFor={`${id}-c`}>Destination country</label>
            <CountryField id={`${id}-c`} value={pick} onChange={setPick} {...(p.type.destinations.allowed ? { only: p.type.destinations.allowed } : {})} />
          </div>
          <div className="lic-actions">
            <button type="submit" disabled={s.busy || !p.app.editable}>
              Save destination
            </button>
            <Saved show={s.saved} />
          </div>
        </form>
      ) : (
        <>
          {current.length === 0 ? (
            <p className="lic-empty">No destination yet.</p>
          ) : (
            <ul className="lic-chips" aria-label="Destinations">
              {current.map((d) => (
                <li key={d}>
                  {countryLabel(d)}{' '}
                  {p.app.editable && (
                    <button type="button" className="link" onClick={() => save(current.filter((x) => x !== d))} aria-label={`Remove destination ${countryLabel(d)}`}>
                      remove
                    </button>
                  )}
                </li>
              ))}
            </ul>
          )}
          {p.app.editable && (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                if (pick) save([...current, pick]);
                setPick('');
              }}
            >
              <div className="lic-field">
                <label htmlFor={`${id}-c`}>Add a destination country</label>
                <CountryField id={`${id}-c`} value={pick} onChange={setPick} {...(p.type.destinations.allowed ? { only: p.type.destinations.allowed } : {})} />
              </div>
              <div className="lic-actions">
                <button type="submit" disabled={s.busy || !pick}>
                  Add destination
                </button>
                <Saved show={s.saved} />
              </div>
            </form>
          )}
          {p.type.destinations.allowed && <p className="muted small">{p.type.name} covers {p.type.destinations.allowed.join(', ')}.</p>}
        </>
      )}
      <ErrorMessage error={s.error} />
    </div>
  );
}

/* ------------------------------------------------------------- parties */

const EMPTY_PARTY = { role: '', name: '', type: 'organisation', country: '', address: '', address_type: '', sub_type: '', business_type: '', registration_number: '', website: '', email: '', established_year: '', date_of_birth: '' };

function PartyScreeningDetail({ party }: { party: Party }) {
  const s = party.screening;
  return (
    <span>
      <ScreeningBadge s={s} />
      {s && s.matches.length > 0 && (
        <span className="small">
          {' '}
          resembles{' '}
          {s.matches.map((m, i) => (
            <span key={m.entity_id}>
              {i > 0 ? '; ' : ''}
              <q>{m.matched_name}</q> ({m.list}, {m.entity_id}, score {m.score.toFixed(2)})
            </span>
          ))}
        </span>
      )}
      {s?.reason && <span className="muted small"> {s.reason}</span>}
      {s?.list_version && <span className="muted small"> · list {s.list_version}</span>}
    </span>
  );
}

export function PartiesStep(p: StepProps) {
  const id = useId();
  const [f, setF] = useState({ ...EMPTY_PARTY });
  const a = useAction();
  const v = p.ref_.vocabularies;
  const set = (k: keyof typeof EMPTY_PARTY) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { role: f.role, name: f.name.trim(), type: f.type, country: f.country };
    for (const k of ['address', 'address_type', 'sub_type', 'business_type', 'registration_number', 'website', 'email', 'date_of_birth'] as const) if (f[k].trim()) body[k] = f[k].trim();
    if (numOrUndef(f.established_year) !== undefined) body.established_year = numOrUndef(f.established_year);
    const r = await a.run(() => api<Party>('POST', `/api/applications/${p.app.id}/parties`, body));
    if (r) {
      setF({ ...EMPTY_PARTY });
      await p.reload();
    }
  };
  const act = async (fn: () => Promise<unknown>) => {
    if ((await a.run(fn)) !== undefined) await p.reload();
  };
  const roleName = (r: string) => v.party_roles.find((x) => x.id === r)?.name ?? words(r);
  return (
    <div>
      <DataTable
        caption="Parties of the application"
        rows={p.app.parties}
        rowKey={(x) => x.id}
        empty={`No parties yet. A ${p.type.name} names ${p.type.required_party_roles.map(roleName).join(' and ').toLowerCase() || 'no required party'}.`}
        columns={[
          { key: 'role', header: 'Role', value: (x) => roleName(x.role) },
          { key: 'name', header: 'Name', value: (x) => x.name },
          { key: 'country', header: 'Country', value: (x) => x.country, render: (x) => countryLabel(x.country) },
          { key: 'address', header: 'Address', value: (x) => x.address ?? '' },
          { key: 'screening', header: 'Screening', value: (x) => x.screening?.status ?? '', render: (x) => <PartyScreeningDetail party={x} /> },
          ...(p.app.editable
            ? [
                {
                  key: 'act',
                  header: 'Actions',
                  value: () => null,
                  render: (x: Party) => (
                    <span className="lic-row-actions">
                      <button type="button" className="secondary" onClick={() => void act(() => api('POST', `/api/applications/${p.app.id}/parties/${x.id}/screen`))} aria-label={`Screen ${x.name} again`}>
                        Screen again
                      </button>
                      <button type="button" className="secondary" onClick={() => void act(() => api('DELETE', `/api/applications/${p.app.id}/parties/${x.id}`).then(() => true))} aria-label={`Remove ${roleName(x.role).toLowerCase()} ${x.name}`}>
                        Remove
                      </button>
                    </span>
                  ),
                },
              ]
            : []),
        ]}
      />
      {p.app.editable && (
        <form onSubmit={add} className="lic-form lic-subform" aria-label="Add a party">
          <h3>Add a party</h3>
          <p className="muted small">Each party is screened against the list version in force as soon as it is added.</p>
          <div className="lic-grid">
            <div className="lic-field">
              <label htmlFor={`${id}-role`}>Role</label>
              <select id={`${id}-role`} value={f.role} onChange={set('role')} required>
                <option value="">— choose a role —</option>
                {v.party_roles.map((r) => (
                  <option key={r.id} value={r.id} title={r.description}>
                    {r.name}
                  </option>
                ))}
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-name`}>Name</label>
              <input id={`${id}-name`} value={f.name} onChange={set('name')} required maxLength={300} />
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-type`}>Type</label>
              <select id={`${id}-type`} value={f.type} onChange={set('type')}>
                <option value="organisation">organisation</option>
                <option value="person">person</option>
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-country`}>Country</label>
              <CountryField id={`${id}-country`} value={f.country} onChange={(c) => setF({ ...f, country: c })} required />
            </div>
            <div className="lic-field lic-wide">
              <label htmlFor={`${id}-addr`}>Address</label>
              <input id={`${id}-addr`} value={f.address} onChange={set('address')} maxLength={1000} />
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-atype`}>Address type</label>
              <select id={`${id}-atype`} value={f.address_type} onChange={set('address_type')}>
                <option value="">— not stated —</option>
                {v.address_types.map((x) => (
                  <option key={x} value={x}>
                    {words(x)}
                  </option>
                ))}
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-sub`}>Sector</label>
              <select id={`${id}-sub`} value={f.sub_type} onChange={set('sub_type')}>
                <option value="">— not stated —</option>
                {v.party_sub_types.map((x) => (
                  <option key={x} value={x}>
                    {words(x)}
                  </option>
                ))}
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-biz`}>Business type</label>
              <select id={`${id}-biz`} value={f.business_type} onChange={set('business_type')}>
                <option value="">— not stated —</option>
                {v.business_types.map((x) => (
                  <option key={x} value={x}>
                    {words(x)}
                  </option>
                ))}
              </select>
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-reg`}>Registration number</label>
              <input id={`${id}-reg`} value={f.registration_number} onChange={set('registration_number')} maxLength={100} />
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-web`}>Website</label>
              <input id={`${id}-web`} type="url" value={f.website} onChange={set('website')} placeholder="https://" />
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-mail`}>E-mail</label>
              <input id={`${id}-mail`} type="email" value={f.email} onChange={set('email')} />
            </div>
            <div className="lic-field">
              <label htmlFor={`${id}-est`}>Established (year)</label>
              <input id={`${id}-est`} type="number" min={1600} max={3000} value={f.established_year} onChange={set('established_year')} />
            </div>
            {f.type === 'person' && (
              <div className="lic-field">
                <label htmlFor={`${id}-dob`}>Date of birth</label>
                <input id={`${id}-dob`} type="date" value={f.date_of_birth} onChange={set('date_of_birth')} />
              </div>
            )}
          </div>
          <div className="lic-actions">
            <button type="submit" disabled={a.busy}>
              {a.busy ? 'Screening…' : 'Add party'}
            </button>
          </div>
        </form>
      )}
      <ErrorMessage error={a.error} />
    </div>
  );
}

/* ------------------------------------------------------------- end use */

export function EndUseStep(p: StepProps) {
  const id = useId();
  const [text, setText] = useState(p.app.content.end_use?.text ?? '');
  const [domains, setDomains] = useState<string[]>(p.app.content.end_use?.domains ?? []);
  const s = usePatch(p);
  const toggle = (d: string) => setDomains(domains.includes(d) ? domains.filter((x) => x !== d) : [...domains, d]);
  return (
    <form
      className="lic-form"
      onSubmit={(e) => {
        e.preventDefault();
        void s.patch({ end_use: { text: text.trim(), domains } });
      }}
    >
      <div className="lic-field">
        <label htmlFor={`${id}-t`}>End use in your words</label>
        <textarea id={`${id}-t`} className="lic-prose" rows={5} value={text} maxLength={8000} onChange={(e) => setText(e.target.value)} aria-describedby={`${id}-t-help`} />
        <span id={`${id}-t-help`} className="muted small">
          What the end user will make with the items, where, and for whom. A vague end use is a red flag.
        </span>
      </div>
      <fieldset className="lic-choices">
        <legend>Application domains</legend>
        {p.ref_.vocabularies.application_domains.map((d) => (
          <label key={d.id}>
            <input type="checkbox" checked={domains.includes(d.id)} onChange={() => toggle(d.id)} /> {d.name}
          </label>
        ))}
      </fieldset>
      <SaveBar label="Save end use" state={s} locked={!p.app.editable} />
    </form>
  );
}

/* ------------------------------------------------------------- production volume and commercial */

export function ProductionStep(p: StepProps) {
  const id = useId();
  const pv = p.app.content.production_volume ?? {};
  const cm = p.app.content.commercial ?? {};
  const [f, setF] = useState({
    parts: String(pv.parts_per_year ?? ''),
    feedstock: String(pv.feedstock_kg_per_year ?? ''),
    machines: String(pv.machines_installed ?? ''),
    remarks: pv.remarks ?? '',
    payment: cm.payment_terms ?? '',
    delivery: cm.delivery_terms ?? '',
    date: cm.delivery_date ?? '',
  });
  const s = usePatch(p);
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const production: NonNullable<ApplicationContent['production_volume']> = {};
    const parts = numOrUndef(f.parts);
    const feed = numOrUndef(f.feedstock);
    const machines = numOrUndef(f.machines);
    if (parts !== undefined) production.parts_per_year = parts;
    if (feed !== undefined) production.feedstock_kg_per_year = feed;
    if (machines !== undefined) production.machines_installed = machines;
    if (f.remarks.trim()) production.remarks = f.remarks.trim();
    const commercial: NonNullable<ApplicationContent['commercial']> = { ...(cm.payer_party_id ? { payer_party_id: cm.payer_party_id } : {}), ...(cm.payer_country ? { payer_country: cm.payer_country } : {}) };
    if (f.payment) commercial.payment_terms = f.payment;
    if (f.delivery.trim()) commercial.delivery_terms = f.delivery.trim();
    if (f.date) commercial.delivery_date = f.date;
    void s.patch({ production_volume: Object.keys(production).length ? production : null, commercial: Object.keys(commercial).length ? commercial : null });
  };
  return (
    <form className="lic-form" onSubmit={submit}>
      <fieldset className="lic-group">
        <legend>Production at the end user</legend>
        <div className="lic-grid">
          <div className="lic-field">
            <label htmlFor={`${id}-parts`}>Parts per year</label>
            <input id={`${id}-parts`} type="number" min={0} step={1} value={f.parts} onChange={set('parts')} />
          </div>
          <div className="lic-field">
            <label htmlFor={`${id}-feed`}>Feedstock per year (kg)</label>
            <input id={`${id}-feed`} type="number" min={0} step="any" value={f.feedstock} onChange={set('feedstock')} />
          </div>
          <div className="lic-field">
            <label htmlFor={`${id}-mach`}>Machines installed</label>
            <input id={`${id}-mach`} type="number" min={0} step={1} value={f.machines} onChange={set('machines')} />
          </div>
          <div className="lic-field lic-wide">
            <label htmlFor={`${id}-rem`}>Remarks on production</label>
            <input id={`${id}-rem`} value={f.remarks} onChange={set('remarks')} maxLength={2000} />
          </div>
        </div>
      </fieldset>
      <fieldset className="lic-group">
        <legend>Commercial terms</legend>
        <div className="lic-grid">
          <div className="lic-field">
            <label htmlFor={`${id}-pay`}>Payment terms</label>
            <select id={`${id}-pay`} value={f.payment} onChange={set('payment')}>
              <option value="">— not stated —</option>
              {p.ref_.vocabularies.payment_terms.map((x) => (
                <option key={x} value={x}>
                  {words(x)}
                </option>
              ))}
            </select>
          </div>
          <div className="lic-field">
            <label htmlFor={`${id}-del`}>Delivery terms (Incoterm and place)</label>
            <input id={`${id}-del`} value={f.delivery} onChange={set('delivery')} maxLength={500} placeholder="DAP Hanoi" />
          </div>
          <div className="lic-field">
            <label htmlFor={`${id}-date`}>Delivery date</label>
            <input id={`${id}-date`} type="date" value={f.date} onChange={set('date')} />
          </div>
        </div>
      </fieldset>
      <SaveBar label="Save production and terms" state={s} locked={!p.app.editable} />
    </form>
  );
}

/* ------------------------------------------------------------- documents */

/** Upload one document; `context` says what it belongs to (the application, an answer, a response, an appeal). */
export function DocumentUpload({ appId, types, context, onDone, label = 'Upload a document', maxBytes, mediaTypes }: { appId: string; types: Array<{ id: string; name: string }>; context?: string; onDone: (doc: { id: string }) => void | Promise<void>; label?: string; maxBytes: number; mediaTypes: string[] }) {
  const id = useId();
  const [docType, setDocType] = useState(types[0]?.id ?? '');
  const [file, setFile] = useState<File | null>(null);
  const [inputKey, setInputKey] = useState(0);
  const a = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const form = new FormData();
    form.set('file', file);
    form.set('doc_type', docType);
    if (context) form.set('context', context);
    const doc = await a.run(() => api<{ id: string }>('POST', `/api/applications/${appId}/documents`, form));
    if (doc) {
      setFile(null);
      setInputKey((k) => k + 1);
      await onDone(doc);
    }
  };
  return (
    <form onSubmit={submit} className="lic-form lic-subform" aria-label={label}>
      <div className="lic-grid">
        <div className="lic-field">
          <label htmlFor={`${id}-type`}>Document type</label>
          <select id={`${id}-type`} value={docType} onChange={(e) => setDocType(e.target.value)}>
            {types.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </div>
        <div className="lic-field">
          <label htmlFor={`${id}-file`}>File</label>
          <input key={inputKey} id={`${id}-file`} type="file" accept={mediaTypes.join(',')} onChange={(e) => setFile(e.target.files?.[0] ?? null)} aria-describedby={`${id}-help`} />
          <span id={`${id}-help`} className="muted small">
            PDF, PNG, JPEG or plain text, at most {kib(maxBytes)}; stored with its SHA-256.
          </span>
        </div>
      </div>
      <div className="lic-actions">
        <button type="submit" disabled={a.busy || !file}>
          {a.busy ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      <ErrorMessage error={a.error} />
    </form>
  );
}

export function DocumentsTable({ app, documents, base, onRemove }: { app: { id: string }; documents: ExporterApplication['documents']; base: string; onRemove?: (docId: string) => void }) {
  return (
    <DataTable
      caption="Documents"
      rows={documents}
      rowKey={(d) => d.id}
      empty="No documents uploaded."
      columns={[
        { key: 'type', header: 'Type', value: (d) => words(d.doc_type) },
        { key: 'file', header: 'File', value: (d) => d.filename, render: (d) => <a href={`${base}/${app.id}/documents/${d.id}`}>{d.filename}</a> },
        { key: 'size', header: 'Size', value: (d) => d.size, render: (d) => kib(d.size) },
        { key: 'media', header: 'Media type', value: (d) => d.media_type },
        { key: 'sha', header: 'SHA-256', value: (d) => d.sha256, render: (d) => <code title={d.sha256}>{d.sha256.slice(0, 16)}…</code> },
        { key: 'context', header: 'For', value: (d) => d.context },
        { key: 'at', header: 'Uploaded', value: (d) => d.uploaded_at, render: (d) => fmtTime(d.uploaded_at) },
        ...(onRemove
          ? [
              {
                key: 'act',
                header: 'Actions',
                value: () => null,
                render: (d: ExporterApplication['documents'][number]) => (
                  <button type="button" className="secondary" onClick={() => onRemove(d.id)} aria-label={`Remove ${d.filename}`}>
                    Remove
                  </button>
                ),
              },
            ]
          : []),
      ]}
    />
  );
}

export function DocumentsStep(p: StepProps) {
  const a = useAction();
  const v = p.ref_.vocabularies;
  const required = p.type.required_documents.map((d) => v.document_types.find((x) => x.id === d)?.name ?? words(d));
  const types = v.document_types.filter((t) => !['appeal_grounds', 'query_response'].includes(t.id));
  return (
    <div>
      {required.length > 0 && <p>A {p.type.name} needs: {required.join(', ')}.</p>}
      <DocumentsTable
        app={p.app}
        documents={p.app.documents}
        base="/api/applications"
        {...(p.app.editable && p.app.status === 'draft'
          ? {
              onRemove: (docId: string) =>
                void a.run(async () => {
                  await api('DELETE', `/api/applications/${p.app.id}/documents/${docId}`);
                  await p.reload();
                  return true;
                }),
            }
          : {})}
      />
      {p.app.editable && <DocumentUpload appId={p.app.id} types={types} maxBytes={v.document_max_bytes} mediaTypes={v.document_media_types} onDone={() => p.reload()} />}
      <ErrorMessage error={a.error} />
    </div>
  );
}

/* ------------------------------------------------------------- due diligence */

type Tri = 'yes' | 'no' | '';
const tri = (b: boolean | undefined): Tri => (b === true ? 'yes' : b === false ? 'no' : '');

function YesNo({ name, legend, value, onChange, hint }: { name: string; legend: string; value: Tri; onChange: (v: Tri) => void; hint?: string }) {
  return (
    <fieldset className="lic-yesno">
      <legend>
        {legend}
        {hint && <span className="muted small"> {hint}</span>}
      </legend>
      {(['yes', 'no', ''] as const).map((v) => (
        <label key={v || 'unset'}>
          <input type="radio" name={name} checked={value === v} onChange={() => onChange(v)} /> {v === 'yes' ? 'Yes' : v === 'no' ? 'No' : 'Not answered'}
        </label>
      ))}
    </fieldset>
  );
}

export function DueDiligenceStep(p: StepProps) {
  const id = useId();
  const dd = p.app.content.due_diligence ?? {};
  const v = p.ref_.vocabularies;
  const [answers, setAnswers] = useState<Record<string, Tri>>(() => Object.fromEntries(v.due_diligence_questions.filter((q) => q.type === 'boolean').map((q) => [q.id, tri((dd as Record<string, boolean | undefined>)[q.id])])));
  const [elements, setElements] = useState<Record<string, Tri>>(() => Object.fromEntries(v.end_use_statement_elements.map((e) => [e.id, tri(dd.end_use_statement_elements?.[e.id])])));
  const [remarks, setRemarks] = useState(dd.remarks ?? '');
  const s = usePatch(p);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const out: Record<string, unknown> = {};
    // keep what this form does not edit (observed red flags and their resolutions)
    if (dd.observed_red_flags) out.observed_red_flags = dd.observed_red_flags;
    if (dd.red_flag_resolutions) out.red_flag_resolutions = dd.red_flag_resolutions;
    for (const [k, a] of Object.entries(answers)) if (a) out[k] = a === 'yes';
    const el = Object.fromEntries(Object.entries(elements).filter(([, a]) => a).map(([k, a]) => [k, a === 'yes']));
    if (Object.keys(el).length) out.end_use_statement_elements = el;
    if (remarks.trim()) out.remarks = remarks.trim();
    void s.patch({ due_diligence: out });
  };
  const required = new Set(p.type.required_due_diligence);
  return (
    <form className="lic-form" onSubmit={submit}>
      <p className="muted small">Each piece of evidence you hold lowers the risk the authority sees; each missing one raises it. Required questions are marked.</p>
      {v.due_diligence_questions
        .filter((q) => q.type === 'boolean')
        .map((q) => (
          <YesNo key={q.id} name={`${id}-${q.id}`} legend={q.question} hint={required.has(q.id) ? '(required)' : undefined} value={answers[q.id] ?? ''} onChange={(a) => setAnswers({ ...answers, [q.id]: a })} />
        ))}
      <fieldset className="lic-group">
        <legend>
          Which core elements does the end-use statement contain?{required.has('end_use_statement_elements') && <span className="muted small"> (required)</span>}
        </legend>
        {v.end_use_statement_elements.map((el) => (
          <YesNo key={el.id} name={`${id}-el-${el.id}`} legend={el.name} value={elements[el.id] ?? ''} onChange={(a) => setElements({ ...elements, [el.id]: a })} />
        ))}
      </fieldset>
      <div className="lic-field">
        <label htmlFor={`${id}-rem`}>Remarks on the due diligence done</label>
        <textarea id={`${id}-rem`} className="lic-prose" rows={3} maxLength={4000} value={remarks} onChange={(e) => setRemarks(e.target.value)} />
      </div>
      <SaveBar label="Save due diligence" state={s} locked={!p.app.editable} />
    </form>
  );
}

/* ------------------------------------------------------------- declaration */

export function DeclarationStep(p: StepProps) {
  const id = useId();
  const c = p.app.content;
  const [accepted, setAccepted] = useState(c.declaration?.accepted ?? false);
  const [name, setName] = useState(c.declaration?.name ?? '');
  const [months, setMonths] = useState(String(c.requested_validity_months ?? ''));
  const [validTo, setValidTo] = useState(c.requested_valid_to ?? '');
  const s = usePatch(p);
  const expires = p.type.max_validity_months !== null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, unknown> = { declaration: name.trim() ? { accepted, name: name.trim() } : null };
    if (expires && p.app.kind !== 'licence_amendment') body.requested_validity_months = numOrUndef(months) ?? null;
    if (p.app.kind === 'licence_amendment') body.requested_valid_to = validTo || null;
    void s.patch(body);
  };
  return (
    <form className="lic-form" onSubmit={submit}>
      {expires && p.app.kind !== 'licence_amendment' && (
        <div className="lic-field">
          <label htmlFor={`${id}-months`}>Requested validity (months)</label>
          <input id={`${id}-months`} type="number" min={1} max={p.type.max_validity_months ?? 120} value={months} onChange={(e) => setMonths(e.target.value)} aria-describedby={`${id}-months-help`} />
          <span id={`${id}-months-help`} className="muted small">
            Leave empty for the default of {p.type.default_validity_months} months (at most {p.type.max_validity_months}).
          </span>
        </div>
      )}
      {p.app.kind === 'licence_amendment' && (
        <div className="lic-field">
          <label htmlFor={`${id}-to`}>New end of validity</label>
          <input id={`${id}-to`} type="date" value={validTo} onChange={(e) => setValidTo(e.target.value)} />
        </div>
      )}
      <div className="lic-field">
        <label className="lic-check">
          <input type="checkbox" checked={accepted} onChange={(e) => setAccepted(e.target.checked)} /> I declare that the information in this application is true and complete.
        </label>
      </div>
      <div className="lic-field">
        <label htmlFor={`${id}-name`}>Name of the signatory</label>
        <input id={`${id}-name`} value={name} maxLength={200} onChange={(e) => setName(e.target.value)} autoComplete="name" />
      </div>
      <SaveBar label="Save declaration" state={s} locked={!p.app.editable} />
    </form>
  );
}
