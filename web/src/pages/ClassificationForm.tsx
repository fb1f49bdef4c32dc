/**
 * The guided item form: built from the published item JSON Schema, so every
 * parameter shows the explanation the schema gives it (the `.describe()` texts
 * of src/classification/item-schema.ts) and every quantity a unit picker with
 * the units the server converts. A parameter left alone is "not stated" — never
 * "no": yes/no questions have a third answer, lists can be "none" or unstated —
 * because an entry that needs a missing parameter answers "needs information".
 * A raw-JSON mode edits the same specification as text.
 */
import { createContext, useContext, useId, useState, type ReactNode } from 'react';
import { humanise, kinds, kindSchema, resolve, type Json, type JsonSchema } from './ClassificationShared';

/** Field errors from the server, by dotted path (`machine.in_process_monitoring[0].peak_response_wavelength`). */
const Errors = createContext<Record<string, string>>({});
const Root = createContext<JsonSchema>({});

type OnChange = (v: unknown) => void;

interface FieldProps {
  name: string;
  path: string;
  schema: JsonSchema;
  value: unknown;
  onChange: OnChange;
}

const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const isQuantity = (s: JsonSchema) => s.type === 'object' && !!s.properties?.value && !!s.properties?.unit?.enum;
const isComposition = (s: JsonSchema) => s.type === 'object' && !!s.properties && Object.keys(s.properties).length > 20 && Object.keys(s.properties).every((k) => k.endsWith('_wt_pct'));

/** Drop a member whose value is undefined; an object left empty becomes undefined ("not stated"). */
function setMember(obj: unknown, key: string, v: unknown): Json | undefined {
  const next: Json = { ...(isObj(obj) ? obj : {}) };
  if (v === undefined) delete next[key];
  else next[key] = v;
  return Object.keys(next).length ? next : undefined;
}

/** Label, parameter name, explanation and error of one parameter, around its control. */
function FieldShell({ path, label, description, children, controlId, group, wide }: { path: string; label: string; description?: string; children: ReactNode; controlId?: string; group?: boolean; wide?: boolean }) {
  const errors = useContext(Errors);
  const error = errors[path];
  const descId = `${controlId ?? path}-desc`;
  const head = (
    <>
      <span className="cls-label">{label}</span> <code className="cls-param">{path}</code>
    </>
  );
  return (
    <div className={`cls-field${wide ? ' wide' : ''}${error ? ' invalid' : ''}`}>
      {group ? (
        <fieldset aria-describedby={description ? descId : undefined}>
          <legend>{head}</legend>
          {description && <p id={descId} className="cls-help">{description}</p>}
          {children}
        </fieldset>
      ) : (
        <>
          <label htmlFor={controlId}>{head}</label>
          {description && <p id={descId} className="cls-help">{description}</p>}
          {children}
        </>
      )}
      {error && (
        <p className="cls-field-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

function describedBy(id: string, schema: JsonSchema) {
  return schema.description ? { 'aria-describedby': `${id}-desc` } : {};
}

function EnumField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <select id={id} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)} {...describedBy(id, schema)} aria-invalid={!!useContext(Errors)[path]}>
        <option value="">— not stated —</option>
        {schema.enum!.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

function BooleanField({ name, path, schema, value, onChange }: FieldProps) {
  const group = useId();
  const options: Array<[string, boolean | undefined]> = [
    ['Yes', true],
    ['No', false],
    ['Not stated', undefined],
  ];
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={group} group>
      <div className="cls-choices">
        {options.map(([label, v]) => (
          <label key={label}>
            <input type="radio" name={group} checked={value === v} onChange={() => onChange(v)} /> {label}
          </label>
        ))}
      </div>
    </FieldShell>
  );
}

/** A number typed as text, so "1." or "-" can be on the way to a number; only numbers reach the specification. */
function NumberInput({ id, value, onChange, integer, label, describe }: { id: string; value: unknown; onChange: (n: number | undefined) => void; integer?: boolean; label?: string; describe?: string }) {
  const [text, setText] = useState(typeof value === 'number' ? String(value) : '');
  const [bad, setBad] = useState(false);
  const shown = typeof value === 'number' && Number(text) !== value ? String(value) : text;
  return (
    <>
      <input
        id={id}
        type="text"
        inputMode="decimal"
        value={shown}
        aria-label={label}
        aria-describedby={describe}
        aria-invalid={bad}
        onChange={(e) => {
          const t = e.target.value.trim();
          setText(e.target.value);
          if (t === '') {
            setBad(false);
            onChange(undefined);
            return;
          }
          const n = Number(t.replace(',', '.'));
          const ok = Number.isFinite(n) && (!integer || Number.isInteger(n));
          setBad(!ok);
          if (ok) onChange(n);
        }}
      />
      {bad && <span className="cls-inline-error">{integer ? 'a whole number' : 'a number'}, please</span>}
    </>
  );
}

function NumberField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <NumberInput id={id} value={value} onChange={onChange} integer={schema.type === 'integer'} describe={schema.description ? `${id}-desc` : undefined} />
    </FieldShell>
  );
}

function TextField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <input id={id} type="text" maxLength={schema.maxLength} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)} {...describedBy(id, schema)} />
    </FieldShell>
  );
}

/** A quantity: the number and its unit; the server converts before comparing. */
function QuantityField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  const units = schema.properties!.unit!.enum!;
  const q = isObj(value) ? value : {};
  const unit = typeof q.unit === 'string' ? q.unit : units[0]!;
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <span className="cls-quantity">
        <NumberInput id={id} value={q.value} describe={schema.description ? `${id}-desc` : undefined} onChange={(n) => onChange(n === undefined ? undefined : { value: n, unit })} />
        <select aria-label={`Unit of ${humanise(name)}`} value={unit} onChange={(e) => onChange(typeof q.value === 'number' ? { value: q.value, unit: e.target.value } : undefined)}>
          {units.map((u) => (
            <option key={u} value={u}>
              {u}
            </option>
          ))}
        </select>
      </span>
    </FieldShell>
  );
}

/** A list of values from a fixed set: not stated, none, or the ones ticked. */
function EnumListField({ name, path, schema, value, onChange }: FieldProps) {
  const root = useContext(Root);
  const items = resolve(root, schema.items!);
  const list = Array.isArray(value) ? (value as string[]) : undefined;
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} group>
      <div className="cls-choices">
        {items.enum!.map((v) => (
          <label key={v}>
            <input
              type="checkbox"
              checked={!!list?.includes(v)}
              onChange={(e) => {
                const next = e.target.checked ? [...(list ?? []), v] : (list ?? []).filter((x) => x !== v);
                onChange(next);
              }}
            />{' '}
            {v}
          </label>
        ))}
      </div>
      <p className="cls-state">
        {list === undefined ? 'Not stated.' : list.length === 0 ? 'None.' : `${list.length} selected.`}{' '}
        {list?.length !== 0 && (
          <button type="button" className="link" onClick={() => onChange([])}>
            None of these
          </button>
        )}{' '}
        {list !== undefined && (
          <button type="button" className="link" onClick={() => onChange(undefined)}>
            Not stated
          </button>
        )}
      </p>
    </FieldShell>
  );
}

/** A list of free texts (entry keys a target is specified in, …), one per line. */
function StringListField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  const list = Array.isArray(value) ? (value as string[]) : undefined;
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <textarea
        id={id}
        rows={2}
        value={list?.join('\n') ?? ''}
        placeholder="one per line; leave empty if not stated"
        onChange={(e) => {
          const lines = e.target.value.split('\n').map((x) => x.trim()).filter(Boolean);
          onChange(e.target.value.trim() === '' ? undefined : lines);
        }}
        {...describedBy(id, schema)}
      />
    </FieldShell>
  );
}

/** A list of objects (monitoring sensors, test results, shapes): add, edit, remove; none or not stated. */
function ObjectListField({ name, path, schema, value, onChange }: FieldProps) {
  const root = useContext(Root);
  const items = resolve(root, schema.items!);
  const list = Array.isArray(value) ? (value as unknown[]) : undefined;
  const singular = humanise(name).replace(/s$/, '');
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} group wide>
      {list?.map((el, i) => (
        <fieldset key={i} className="cls-element">
          <legend>
            {singular} {i + 1}
          </legend>
          <ObjectBody path={`${path}[${i}]`} schema={items} value={el} onChange={(v) => onChange(list.map((x, j) => (j === i ? (v ?? {}) : x)))} />
          <button type="button" className="secondary" onClick={() => onChange(list.filter((_, j) => j !== i))}>
            Remove {singular} {i + 1}
          </button>
        </fieldset>
      ))}
      <p className="cls-state">
        {list === undefined ? 'Not stated.' : list.length === 0 ? 'None.' : ''}{' '}
        <button type="button" className="secondary" disabled={!!schema.maxItems && (list?.length ?? 0) >= schema.maxItems} onClick={() => onChange([...(list ?? []), {}])}>
          Add {singular}
        </button>{' '}
        {list?.length !== 0 && (
          <button type="button" className="link" onClick={() => onChange([])}>
            None
          </button>
        )}{' '}
        {list !== undefined && (
          <button type="button" className="link" onClick={() => onChange(undefined)}>
            Not stated
          </button>
        )}
      </p>
    </FieldShell>
  );
}

/** Chemical composition: one row per element present; an element not listed is 0 wt%. */
function CompositionField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  const comp = isObj(value) ? value : {};
  const all = Object.keys(schema.properties!);
  const [pick, setPick] = useState('');
  const total = Object.values(comp).reduce<number>((a, b) => a + (typeof b === 'number' ? b : 0), 0);
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} group>
      <ul className="cls-composition">
        {Object.keys(comp).map((k) => (
          <li key={k}>
            <label htmlFor={`${id}-${k}`}>{k.replace('_wt_pct', '')}</label>
            <NumberInput id={`${id}-${k}`} value={comp[k]} onChange={(n) => onChange(setMember(comp, k, n ?? 0))} />
            <span>wt%</span>
            <button type="button" className="link" onClick={() => onChange(setMember(comp, k, undefined))} aria-label={`Remove ${k.replace('_wt_pct', '')}`}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      <span className="cls-quantity">
        <select aria-label="Element to add" value={pick} onChange={(e) => setPick(e.target.value)}>
          <option value="">— element —</option>
          {all
            .filter((k) => !(k in comp))
            .map((k) => (
              <option key={k} value={k}>
                {k.replace('_wt_pct', '')}
              </option>
            ))}
        </select>
        <button type="button" className="secondary" disabled={!pick} onClick={() => (onChange(setMember(comp, pick, 0)), setPick(''))}>
          Add element
        </button>
      </span>
      {Object.keys(comp).length > 0 && <p className="cls-state">Total {Math.round(total * 1000) / 1000} wt%.</p>}
    </FieldShell>
  );
}

/** Anything the guided form has no control for: edited as JSON. */
function JsonField({ name, path, schema, value, onChange }: FieldProps) {
  const id = useId();
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value, null, 2));
  const [bad, setBad] = useState<string | null>(null);
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} controlId={id}>
      <textarea
        id={id}
        rows={4}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          if (e.target.value.trim() === '') {
            setBad(null);
            onChange(undefined);
            return;
          }
          try {
            onChange(JSON.parse(e.target.value));
            setBad(null);
          } catch (err) {
            setBad((err as Error).message);
          }
        }}
      />
      {bad && <span className="cls-inline-error">not JSON yet: {bad}</span>}
    </FieldShell>
  );
}

/** The members of an object, each as its own field. */
function ObjectBody({ path, schema, value, onChange }: { path: string; schema: JsonSchema; value: unknown; onChange: (v: Json | undefined) => void }) {
  const obj = isObj(value) ? value : undefined;
  return (
    <div className="cls-fields">
      {Object.entries(schema.properties ?? {}).map(([key, s]) => (
        <Field key={key} name={key} path={path ? `${path}.${key}` : key} schema={s} value={obj?.[key]} onChange={(v) => onChange(setMember(obj, key, v))} />
      ))}
    </div>
  );
}

function ObjectField({ name, path, schema, value, onChange }: FieldProps) {
  return (
    <FieldShell path={path} label={humanise(name)} description={schema.description} group wide>
      <ObjectBody path={path} schema={schema} value={value} onChange={onChange} />
    </FieldShell>
  );
}

/** One parameter, with the control its schema calls for. */
function Field(props: FieldProps) {
  const root = useContext(Root);
  const s = resolve(root, props.schema);
  const p = { ...props, schema: s };
  if (s.type === 'object' && isQuantity(s)) return <QuantityField {...p} />;
  if (s.type === 'object' && isComposition(s)) return <CompositionField {...p} />;
  if (s.type === 'object' && s.properties) return <ObjectField {...p} />;
  if (s.type === 'array' && s.items) {
    const items = resolve(root, s.items);
    if (items.enum) return <EnumListField {...p} />;
    if (items.type === 'object' && items.properties && !isQuantity(items)) return <ObjectListField {...p} />;
    if (items.type === 'string') return <StringListField {...p} />;
    return <JsonField {...p} />;
  }
  if (s.enum) return <EnumField {...p} />;
  if (s.type === 'boolean') return <BooleanField {...p} />;
  if (s.type === 'number' || s.type === 'integer') return <NumberField {...p} />;
  if (s.type === 'string') return <TextField {...p} />;
  return <JsonField {...p} />;
}

/** The examples offered to start from: the spine machine of the demo story and a titanium powder. */
export const EXAMPLES: Array<{ label: string; spec: Json }> = [
  {
    label: 'Laser powder-bed metal machine',
    spec: {
      kind: 'am_machine',
      name: 'Laser powder-bed metal printer',
      machine: {
        process: 'powder_bed_fusion',
        output_material_class: ['metal'],
        consolidation_sources: ['laser'],
        process_atmosphere: ['inert_gas'],
        in_process_monitoring: [{ sensor_type: 'imaging_camera', configuration: 'co-axial', peak_response_wavelength: { value: 850, unit: 'nm' }, description: 'melt-pool camera' }],
        closed_loop_control: { present: true, modifies: ['consolidation_source_parameters'], uses_feedback_from_qualifying_monitoring: true },
      },
    },
  },
  {
    label: 'Ti-6Al-4V powder',
    spec: {
      kind: 'metal_powder',
      name: 'Ti-6Al-4V Grade 23 powder, 15-45 µm',
      material: { form: 'powder', composition: { Ti_wt_pct: 89.6, Al_wt_pct: 6, V_wt_pct: 4, Fe_wt_pct: 0.25, O_wt_pct: 0.13 }, production_process: 'gas_atomisation', max_particle_size: { value: 45, unit: 'um' } },
    },
  },
];

/**
 * Build or edit an item specification. `errors` maps dotted field paths to the
 * server's messages, shown at the field.
 */
export function ItemForm({ schema, value, onChange, errors = {} }: { schema: JsonSchema; value: Json; onChange: (v: Json) => void; errors?: Record<string, string> }) {
  const [mode, setMode] = useState<'guided' | 'json'>('guided');
  const [raw, setRaw] = useState('');
  const [rawError, setRawError] = useState<string | null>(null);
  const kindId = useId();
  const modeName = useId();
  const kind = typeof value.kind === 'string' ? value.kind : 'am_machine';
  const variant = kindSchema(schema, kind);
  const header = ['kind', 'name', 'id', 'description'];
  const sections = Object.entries(variant?.properties ?? {}).filter(([k]) => !header.includes(k));
  const required = new Set(variant?.required ?? []);

  const switchMode = (m: 'guided' | 'json') => {
    if (m === 'json') {
      setRaw(JSON.stringify(value, null, 2));
      setRawError(null);
    }
    setMode(m);
  };

  return (
    <Root.Provider value={schema}>
      <Errors.Provider value={errors}>
        <div className="cls-form">
          <fieldset className="cls-mode">
            <legend className="visually-hidden">How to enter the item</legend>
            <label>
              <input type="radio" name={modeName} checked={mode === 'guided'} onChange={() => switchMode('guided')} /> Guided form
            </label>
            <label>
              <input type="radio" name={modeName} checked={mode === 'json'} onChange={() => switchMode('json')} /> Raw JSON
            </label>
            <span className="muted small">
              Start from an example:{' '}
              {EXAMPLES.map((ex) => (
                <button key={ex.label} type="button" className="link" onClick={() => (onChange(structuredClone(ex.spec)), setRaw(JSON.stringify(ex.spec, null, 2)))}>
                  {ex.label}
                </button>
              ))}
            </span>
          </fieldset>

          {mode === 'json' ? (
            <label className="stack">
              Item specification (JSON; schema at <a href="/api/schemas/item">/api/schemas/item</a>)
              <textarea
                rows={22}
                value={raw}
                aria-invalid={!!rawError}
                onChange={(e) => {
                  setRaw(e.target.value);
                  try {
                    const v = JSON.parse(e.target.value) as unknown;
                    if (!isObj(v)) throw new Error('the specification is a JSON object');
                    setRawError(null);
                    onChange(v);
                  } catch (err) {
                    setRawError((err as Error).message);
                  }
                }}
              />
              {rawError && <span className="cls-inline-error" role="alert">Not applied yet: {rawError}</span>}
            </label>
          ) : (
            <>
              <div className="cls-fields cls-header">
                <div className="cls-field">
                  <label htmlFor={kindId}>
                    <span className="cls-label">Kind of item</span> <code className="cls-param">kind</code>
                  </label>
                  <select
                    id={kindId}
                    value={kind}
                    onChange={(e) => onChange({ kind: e.target.value, ...(typeof value.name === 'string' ? { name: value.name } : {}) })}
                  >
                    {kinds(schema).map((k) => (
                      <option key={k.kind} value={k.kind}>
                        {k.kind.replace(/_/g, ' ')} — {k.description}
                      </option>
                    ))}
                  </select>
                </div>
                {(['name', 'id', 'description'] as const).map((k) =>
                  variant?.properties?.[k] ? <Field key={k} name={k} path={k} schema={variant.properties[k]!} value={value[k]} onChange={(v) => onChange(setMember(value, k, v) ?? { kind })} /> : null,
                )}
              </div>
              {sections.map(([key, s], i) => (
                <details key={`${kind}-${key}`} className="cls-section" open={i === 0 || required.has(key)}>
                  <summary>
                    {humanise(key)} {required.has(key) ? '' : <span className="muted small">(optional)</span>}
                  </summary>
                  <p className="cls-help">{resolve(schema, s).description}</p>
                  <ObjectBody path={key} schema={resolve(schema, s)} value={value[key]} onChange={(v) => onChange(setMember(value, key, v) ?? { kind })} />
                </details>
              ))}
            </>
          )}
        </div>
      </Errors.Provider>
    </Root.Provider>
  );
}

/** The server's field errors as a map from dotted path to message. */
export function fieldErrors(details: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const d = details as { field?: string; issues?: Array<{ field: string; message: string }> } | undefined;
  if (!d) return out;
  if (d.field) out[d.field] = 'see the error above';
  for (const i of d.issues ?? []) out[i.field] = i.message;
  return out;
}
