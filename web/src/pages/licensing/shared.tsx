/**
 * What the licensing pages share: the reference data (licence types and
 * vocabularies, fetched once), in-app links, status badges whose words carry
 * the meaning (colour only repeats it), and date and quantity formatting.
 */
import { useEffect, useState } from 'react';
import { api } from '../../api';
import type { Reference, Screening } from './types';

let referencePromise: Promise<Reference> | undefined;

/** Licence types, vocabularies, standard conditions, refusal criteria and authorities (GET /api/licensing/reference). */
export function useReference(): { ref: Reference | null; error: unknown } {
  const [ref, setRef] = useState<Reference | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    referencePromise ??= api<Reference>('GET', '/api/licensing/reference');
    referencePromise
      .then((r) => live && setRef(r))
      .catch((e) => {
        referencePromise = undefined;
        if (live) setError(e);
      });
    return () => {
      live = false;
    };
  }, []);
  return { ref, error };
}

export { AppLink } from '../../components/AppLink';

export const words = (s: string) => s.replace(/_/g, ' ');
export const fmtTime = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/(:\d\d)(\.\d+)?Z$/, '$1 UTC').replace(/:\d\d UTC$/, ' UTC') : '—');
export const fmtDate = (iso: string | null | undefined) => (iso ? iso.slice(0, 10) : '—');
export const fmtNumber = (n: number | null | undefined) => (n === null || n === undefined ? '—' : n.toLocaleString('en-GB', { maximumFractionDigits: 3 }));
export const fmtMoney = (v: { amount: number; currency: string } | null | undefined) => (v ? `${v.amount.toLocaleString('en-GB', { maximumFractionDigits: 2 })} ${v.currency}` : '—');
export const kib = (n: number) => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);

const countryNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
/** "VN" → "Vietnam (VN)". */
export const countryLabel = (code: string) => `${countryNames.of(code) ?? code} (${code})`;

type Tone = 'ok' | 'danger' | 'warn' | 'info' | 'neutral';

const STATUS_TONE: Record<string, Tone> = {
  draft: 'neutral',
  received: 'info',
  under_review: 'info',
  awaiting_your_response: 'warn',
  intent_to_refuse: 'danger',
  approved: 'ok',
  refused: 'danger',
  no_licence_required: 'ok',
  under_appeal: 'warn',
  appeal_decided: 'info',
  withdrawn: 'neutral',
  superseded: 'neutral',
  returned_without_action: 'danger',
  // authority states
  submitted: 'info',
  initial_checks: 'info',
  referred: 'info',
  awaiting_applicant: 'warn',
  consolidation: 'info',
  final_review: 'info',
  countersign_1: 'warn',
  countersign_2: 'warn',
  decided_approved: 'ok',
  decided_refused: 'danger',
  decided_no_licence_required: 'ok',
  // licences
  active: 'ok',
  suspended: 'warn',
  revoked: 'danger',
  expired: 'neutral',
  exhausted: 'neutral',
  surrendered: 'neutral',
  // risk bands
  low: 'ok',
  medium: 'warn',
  high: 'danger',
  critical: 'danger',
  // screening and classification
  clear: 'ok',
  potential_match: 'warn',
  strong_match: 'danger',
  unavailable: 'warn',
  controlled: 'danger',
  not_controlled: 'ok',
  needs_information: 'warn',
  needs_review: 'warn',
  invalid: 'danger',
};

/** A status in words, as a badge. */
export function Status({ value, label }: { value: string; label?: string }) {
  const tone = STATUS_TONE[value] ?? 'neutral';
  return <span className={`lic-badge ${tone}`}>{label ?? words(value)}</span>;
}

export function ScreeningBadge({ s }: { s: Screening | null }) {
  if (!s) return <Status value="needs_review" label="not screened" />;
  return <Status value={s.status} />;
}

/** Run an async action with busy and error state. */
export function useAction(): { busy: boolean; error: unknown; run: <T>(fn: () => Promise<T>) => Promise<T | undefined>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return {
    busy,
    error,
    clear: () => setError(null),
    run: async (fn) => {
      setBusy(true);
      setError(null);
      try {
        return await fn();
      } catch (e) {
        setError(e);
        return undefined;
      } finally {
        setBusy(false);
      }
    },
  };
}

export const LICENCE_TYPE_LABEL: Record<string, string> = {
  individual: 'Individual export licence',
  global: 'Global export authorisation',
  general_registration: 'General authorisation registration',
};

const COUNTRIES = (() => {
  const out: Array<{ code: string; name: string }> = [];
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      const name = names.of(code);
      // ICU names a few two-letter groupings that are not countries
      if (name && !['EU', 'EZ', 'UN', 'QO', 'ZZ', 'XA', 'XB'].includes(code)) out.push({ code, name });
    }
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
})();

/** A country picker by name; `only` limits the choice (e.g. the destinations a general authorisation covers). */
export function CountryField({ id, value, onChange, only, required, placeholder = '— choose a country —' }: { id: string; value: string; onChange: (code: string) => void; only?: string[]; required?: boolean; placeholder?: string }) {
  const list = only ? COUNTRIES.filter((c) => only.includes(c.code)) : COUNTRIES;
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value)} required={required}>
      <option value="">{placeholder}</option>
      {list.map((c) => (
        <option key={c.code} value={c.code}>
          {c.name} ({c.code})
        </option>
      ))}
    </select>
  );
}

/** '' → undefined, otherwise the number (the API wants numbers, forms give strings). */
export const numOrUndef = (s: string): number | undefined => (s.trim() === '' || Number.isNaN(Number(s)) ? undefined : Number(s));
