/**
 * The application wizard: the steps a licence type requires, in order, with
 * the live completeness checklist beside them — what is missing or
 * inconsistent, as the server computed it after the last change — and the
 * submit button, which the server refuses (LICENSING_APPLICATION_INCOMPLETE)
 * until the checklist is clear. The step is in the URL (`?step=parties`), so
 * a reload keeps it; moving to a step moves the focus to its heading.
 */
import { useEffect, useRef, type ReactNode } from 'react';
import { api } from '../../api';
import { ErrorMessage } from '../../components/ErrorMessage';
import { navigate, useLocation } from '../../router';
import { DeclarationStep, DestinationsStep, DocumentsStep, DueDiligenceStep, EndUseStep, GeneralStep, ItemsStep, PartiesStep, ProductionStep, type StepProps } from './ApplicationSteps';
import { AmendmentDiffView } from './AmendmentDiff';
import { useAction } from './shared';
import type { Checklist, ChecklistEntry, ExporterApplication, LicenceType, Reference } from './types';

interface StepDef {
  id: string;
  label: string;
  /** Checklist sections this step resolves. */
  sections: string[];
  /** Shown for every licence type (otherwise only when its first section is required). */
  always?: boolean;
  render: (p: StepProps) => ReactNode;
}

const STEPS: StepDef[] = [
  { id: 'general', label: 'Licence type and authority', sections: ['authority'], always: true, render: (p) => <GeneralStep {...p} /> },
  { id: 'items', label: 'Items', sections: ['items', 'amendment'], render: (p) => <ItemsStep {...p} /> },
  { id: 'destinations', label: 'Destination', sections: ['destinations'], render: (p) => <DestinationsStep {...p} /> },
  { id: 'parties', label: 'Parties', sections: ['parties'], render: (p) => <PartiesStep {...p} /> },
  { id: 'end_use', label: 'End use', sections: ['end_use'], render: (p) => <EndUseStep {...p} /> },
  { id: 'production_volume', label: 'Production volumes', sections: ['production_volume', 'commercial'], render: (p) => <ProductionStep {...p} /> },
  { id: 'documents', label: 'Documents', sections: ['documents'], render: (p) => <DocumentsStep {...p} /> },
  { id: 'due_diligence', label: 'Due diligence', sections: ['due_diligence'], render: (p) => <DueDiligenceStep {...p} /> },
  { id: 'declaration', label: 'Declaration', sections: ['declaration', 'validity'], always: true, render: (p) => <DeclarationStep {...p} /> },
];

export function stepsFor(type: LicenceType): StepDef[] {
  return STEPS.filter((s) => s.always || type.required_sections.includes(s.sections[0]!));
}

type StepState = 'done' | 'todo' | 'warn' | 'none';

function stepState(step: StepDef, checklist: Checklist | null): StepState {
  const mine = (checklist?.entries ?? []).filter((e) => step.sections.includes(e.section));
  if (mine.some((e) => e.status === 'missing' || e.status === 'inconsistent')) return 'todo';
  if (mine.some((e) => e.status === 'warning')) return 'warn';
  return mine.length ? 'done' : 'none';
}

const STATE_WORDS: Record<StepState, string> = { done: 'complete', todo: 'needs attention', warn: 'complete, with a warning', none: 'nothing to check' };
const STATE_MARK: Record<StepState, string> = { done: '✓', todo: '!', warn: '⚠', none: '·' };
const ENTRY_WORDS: Record<ChecklistEntry['status'], string> = { ok: 'Done', missing: 'Missing', inconsistent: 'Inconsistent', warning: 'Warning' };

/** The live checklist: what the server says is missing, inconsistent or worth a warning, by step. */
function ChecklistPanel({ app, steps, onGo, onSubmitted }: { app: ExporterApplication; steps: StepDef[]; onGo: (step: string) => void; onSubmitted: (app: ExporterApplication) => void }) {
  const c = app.checklist;
  const submit = useAction();
  const { clear } = submit;
  // A refusal names the checklist as it was; once the checklist changes, the refusal is history.
  useEffect(() => clear(), [c?.missing, c?.inconsistent]);
  const stepOf = (e: ChecklistEntry) => steps.find((s) => s.sections.includes(e.section)) ?? steps[0]!;
  const open = (c?.entries ?? []).filter((e) => e.status !== 'ok');
  const done = (c?.entries ?? []).filter((e) => e.status === 'ok');
  const summary = !c
    ? 'No checklist.'
    : c.clear
      ? `Complete: ready to submit${c.warnings ? ` (${c.warnings} warning${c.warnings === 1 ? '' : 's'})` : ''}.`
      : `${c.missing} missing, ${c.inconsistent} inconsistent${c.warnings ? `, ${c.warnings} warning${c.warnings === 1 ? '' : 's'}` : ''}.`;
  const canSubmit = app.next_steps.includes('submit');
  return (
    <aside className="lic-checklist" aria-labelledby="checklist-heading">
      <h2 id="checklist-heading">Checklist</h2>
      <p className={`lic-checklist-summary ${c?.clear ? 'ok' : 'todo'}`} role="status" aria-live="polite" data-testid="checklist-summary">
        {summary}
      </p>
      {canSubmit && (
        <div className="lic-submit">
          <button
            type="button"
            disabled={submit.busy}
            onClick={() =>
              void submit.run(async () => {
                const r = await api<ExporterApplication>('POST', `/api/applications/${app.id}/submit`);
                onSubmitted(r);
                return r;
              })
            }
          >
            {submit.busy ? 'Submitting…' : app.kind === 'new' ? 'Submit application' : 'Submit amendment'}
          </button>
          {!c?.clear && <p className="muted small">The authority accepts the application once every entry below is resolved.</p>}
          <ErrorMessage error={submit.error} />
        </div>
      )}
      {open.length > 0 && (
        <ul className="lic-checklist-list" aria-label="Open checklist entries">
          {open.map((e) => (
            <li key={e.id} className={`ck-${e.status}`}>
              <span className={`lic-badge ${e.status === 'warning' ? 'warn' : 'danger'}`}>{ENTRY_WORDS[e.status]}</span> {e.message}{' '}
              <button type="button" className="link" onClick={() => onGo(stepOf(e).id)}>
                Go to {stepOf(e).label.toLowerCase()}
              </button>
            </li>
          ))}
        </ul>
      )}
      {done.length > 0 && (
        <details>
          <summary>{done.length} done</summary>
          <ul className="lic-checklist-list">
            {done.map((e) => (
              <li key={e.id} className="ck-ok">
                <span className="lic-badge ok">Done</span> {e.message}
              </li>
            ))}
          </ul>
        </details>
      )}
    </aside>
  );
}

export function ApplicationWizard({ app, ref_, onChange, reload }: { app: ExporterApplication; ref_: Reference; onChange: (a: ExporterApplication) => void; reload: () => Promise<void> }) {
  const { path, query } = useLocation();
  const type = ref_.licence_types.find((t) => t.id === app.licence_type);
  const heading = useRef<HTMLHeadingElement>(null);
  const steps = type ? stepsFor(type) : [];
  const current = steps.find((s) => s.id === query.get('step')) ?? steps[0];
  const moved = useRef(false);
  useEffect(() => {
    // Focus the step's heading when the user moved there (not on the first render).
    if (moved.current) heading.current?.focus();
  }, [current?.id]);
  if (!type || !current) return <ErrorMessage error={new Error(`unknown licence type ${app.licence_type}`)} />;
  const go = (step: string) => {
    moved.current = true;
    const q = new URLSearchParams(query);
    q.set('step', step);
    navigate(`${path}?${q.toString()}`);
  };
  const idx = steps.indexOf(current);
  const props: StepProps = { app, ref_, type, onChange, reload };
  return (
    <div className="lic-wizard">
      {app.amendment && <AmendmentDiffView amendment={app.amendment} />}
      <nav className="lic-steps" aria-label="Application steps">
        <ol>
          {steps.map((s, i) => {
            const st = stepState(s, app.checklist);
            return (
              <li key={s.id} className={`step-${st}`}>
                <button type="button" className="lic-step" aria-current={s.id === current.id ? 'step' : undefined} onClick={() => go(s.id)}>
                  <span className="lic-step-mark" aria-hidden="true">
                    {STATE_MARK[st]}
                  </span>
                  {i + 1}. {s.label}
                  <span className="visually-hidden"> ({STATE_WORDS[st]})</span>
                </button>
              </li>
            );
          })}
        </ol>
      </nav>
      <div className="lic-wizard-body">
        <section className="lic-step-panel" aria-labelledby="step-heading">
          <h2 id="step-heading" ref={heading} tabIndex={-1}>
            Step {idx + 1} of {steps.length}: {current.label}
          </h2>
          {/* a fresh form per step, so each form starts from what is stored */}
          <div key={`${current.id}`}>{current.render(props)}</div>
          <div className="lic-step-nav">
            {idx > 0 && (
              <button type="button" className="secondary" onClick={() => go(steps[idx - 1]!.id)}>
                ← {steps[idx - 1]!.label}
              </button>
            )}
            {idx < steps.length - 1 && (
              <button type="button" className="secondary" onClick={() => go(steps[idx + 1]!.id)}>
                {steps[idx + 1]!.label} →
              </button>
            )}
          </div>
        </section>
        <ChecklistPanel app={app} steps={steps} onGo={go} onSubmitted={onChange} />
      </div>
    </div>
  );
}
