/**
 * What the screening views share: the view tabs, list names in words, scores,
 * the explanation of a match (token by token, then what the secondary evidence
 * did) and the listed entity as a reviewer reads it.
 */
import type { ReactNode } from 'react';
import type { Session } from '../../api';
import { AppLink } from '../../components/AppLink';
import { countryLabel, words } from '../licensing/shared';
import type { Explanation, ListedEntity, Match } from './types';

export type View = 'screen' | 'batches' | 'customers' | 'customer' | 'alerts' | 'alert' | 'decisions' | 'lists';

export const can = (session: Session, permission: string) => session.permissions.includes(permission);

/** The views a role may open, in tab order. */
export function tabsFor(session: Session): Array<{ view: View; label: string }> {
  return [
    { view: 'screen' as const, label: 'Screen a party', show: can(session, 'screening:run') },
    { view: 'batches' as const, label: 'Batches', show: can(session, 'screening:run') },
    { view: 'customers' as const, label: 'Customers', show: can(session, 'screening:run') },
    { view: 'alerts' as const, label: 'Alert queue', show: can(session, 'screening:review') },
    { view: 'decisions' as const, label: 'Decisions', show: can(session, 'screening:review') },
    { view: 'lists' as const, label: 'Lists', show: true },
  ].filter((t) => t.show);
}

export const viewHref = (view: View, params: Record<string, string> = {}) => `/screening?${new URLSearchParams({ view, ...params }).toString()}`;

/** An in-app link to a screening view. */
export function ViewLink({ view, params, children, current }: { view: View; params?: Record<string, string>; children: ReactNode; current?: boolean }) {
  return (
    <AppLink to={viewHref(view, params)} {...(current !== undefined ? { current } : {})}>
      {children}
    </AppLink>
  );
}

export function Tabs({ view, session }: { view: View; session: Session }) {
  const current = view === 'alert' ? 'alerts' : view === 'customer' ? 'customers' : view;
  return (
    <nav className="cls-tabs" aria-label="Screening views">
      <ul>
        {tabsFor(session).map((t) => (
          <li key={t.view}>
            <ViewLink view={t.view} current={current === t.view}>
              {t.label}
            </ViewLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const LIST_NAMES: Record<string, string> = {
  'us-ofac-sdn': 'OFAC Specially Designated Nationals (SDN)',
  'us-ofac-cons': 'OFAC Consolidated (non-SDN) List',
  'us-bis-dpl': 'BIS Denied Persons List',
  'us-csl': 'US Consolidated Screening List',
  'un-sc-consolidated': 'UN Security Council Consolidated List',
  'uk-ofsi': 'UK Sanctions List',
  'us-dod-1260h': 'DoD 1260H Chinese military companies',
};

/** "OFAC Consolidated (non-SDN) List", or the list's id when it has no better name. */
export const listName = (list: string) => LIST_NAMES[list] ?? (list.startsWith('eu-') ? `EU list ${list.slice(3)}` : list);

export function ListLabel({ list }: { list: string }) {
  const name = listName(list);
  return name === list ? <code>{list}</code> : <span title={list}>{name}</span>;
}

/** What raised an alert, in words. */
export const TRIGGER: Record<string, string> = {
  party_created: 'customer added',
  party_updated: 'customer changed',
  list_activated: 'new list version',
  manual: 'screened on request',
};

export const fmtScore = (n: number) => n.toFixed(2);
const signed = (n: number) => (n > 0 ? `+${n.toFixed(2)}` : n < 0 ? `−${Math.abs(n).toFixed(2)}` : '±0.00');

/** A score in words and figures: strong from 0.95 up. */
export function Score({ value }: { value: number }) {
  const tone = value >= 0.95 ? 'danger' : 'warn';
  return (
    <span className={`lic-badge ${tone}`}>
      score {fmtScore(value)}
    </span>
  );
}

export function DecisionBadge({ value }: { value: string }) {
  return value === 'true_positive' ? <span className="lic-badge danger">true positive</span> : <span className="lic-badge ok">false positive</span>;
}

/** Normalised tokens starting with "@" are canonical legal forms ("@jsc" for OAO, JSC, AO…). */
function Token({ t }: { t: string }) {
  if (t.startsWith('@')) return <span className="scr-token legal" title="legal form, as normalised">{t.slice(1).toUpperCase()}</span>;
  return <span className="scr-token">{t}</span>;
}

const HOW: Record<string, (edits?: number) => string> = {
  exact: () => 'same word',
  romanisation: () => 'same word, another romanisation',
  typo: (e) => (e ? `spelling differs by ${e} letter${e === 1 ? '' : 's'}` : 'spelling differs'),
  vowels: () => 'same consonants, vowels differ',
  initial: () => 'initial of the word',
  'legal form': () => 'same legal form',
  'legal form differs': () => 'different legal form',
};

const EVIDENCE: Record<string, string> = {
  type: 'Type',
  country: 'Country',
  date_of_birth: 'Date of birth',
  alias_quality: 'Alias quality',
  joined_tokens: 'Joined words',
};

/** Why a name matched: which listed name, each word paired, words left over, then the secondary evidence and the sum. */
export function ExplanationView({ match, label }: { match: Match; label: string }) {
  const x: Explanation = match.explanation;
  const effects = x.evidence.reduce((s, e) => s + e.effect, 0);
  const sum = x.name_score + effects;
  const capped = Math.abs(Math.min(1, Math.max(0, sum)) - match.score) < 0.005 && Math.abs(sum - match.score) >= 0.005;
  return (
    <div className="scr-explain">
      <p>
        Matched the <strong>{x.name_kind}</strong> name <q>{match.matched_name}</q>. Compared as <code>{x.query_normalised}</code> and <code>{x.list_normalised}</code>.
      </p>
      <table className="scr-tokens" aria-label={`Word by word: ${label}`}>
        <thead>
          <tr>
            <th scope="col">Your word</th>
            <th scope="col">Listed word</th>
            <th scope="col">How they compare</th>
            <th scope="col">Similarity</th>
          </tr>
        </thead>
        <tbody>
          {x.tokens.map((t, i) => (
            <tr key={`t${i}`}>
              <td><Token t={t.query} /></td>
              <td><Token t={t.list} /></td>
              <td>{HOW[t.how]?.(t.edits) ?? t.how}</td>
              <td className="scr-num">{fmtScore(t.similarity)}</td>
            </tr>
          ))}
          {x.unmatched_query.map((t, i) => (
            <tr key={`q${i}`} className="scr-unmatched">
              <td><Token t={t} /></td>
              <td>—</td>
              <td>not in the listed name: lowers the score</td>
              <td className="scr-num">0.00</td>
            </tr>
          ))}
          {x.unmatched_list.map((t, i) => (
            <tr key={`l${i}`} className="scr-unmatched">
              <td>—</td>
              <td><Token t={t} /></td>
              <td>not in your name: lowers the score (by half when lists add middle names)</td>
              <td className="scr-num">—</td>
            </tr>
          ))}
        </tbody>
      </table>
      {[...x.tokens.map((t) => t.query), ...x.unmatched_query].some((t) => t.startsWith('@')) && (
        <p className="muted small">Legal forms are recognised in any language and romanisation (OAO, Otkrytoe Aktsionernoe Obshchestvo, JSC…) and compared as one word.</p>
      )}
      <h4 className="scr-sub">Secondary evidence</h4>
      {x.evidence.length === 0 ? (
        <p className="muted">None: no country, date of birth or type to compare.</p>
      ) : (
        <ul className="scr-evidence">
          {x.evidence.map((e, i) => (
            <li key={i}>
              <span className={`scr-effect ${e.effect > 0 ? 'up' : e.effect < 0 ? 'down' : ''}`}>{signed(e.effect)}</span> <strong>{EVIDENCE[e.kind] ?? words(e.kind)}:</strong> {e.detail}
            </li>
          ))}
        </ul>
      )}
      <p className="scr-sum">
        Name {fmtScore(x.name_score)}
        {x.evidence.length > 0 && <> {signed(effects)} evidence</>} = <strong>score {fmtScore(match.score)}</strong>
        {capped && <span className="muted"> (scores stop at 1.00)</span>}
      </p>
    </div>
  );
}

const countries = (cs: string[]) => (cs.length ? cs.map(countryLabel).join(', ') : '—');

/** The listed entity as the list has it: names, countries, dates, programmes, identifiers, addresses, remarks. */
export function EntityDetails({ entity, list, entityId }: { entity: ListedEntity; list: string; entityId: string }) {
  return (
    <dl className="lic-meta scr-facts">
      <dt>List</dt>
      <dd><ListLabel list={list} /> · entity <code>{entityId}</code></dd>
      <dt>Name</dt>
      <dd><strong>{entity.name}</strong></dd>
      <dt>Aliases</dt>
      <dd>
        {entity.aliases.length === 0 ? '—' : (
          <ul className="scr-plain">
            {entity.aliases.map((a, i) => (
              <li key={i}>
                {a.name}
                {(a.kind || a.quality) && <span className="muted small"> ({[a.kind === 'aka' ? 'a.k.a.' : a.kind ? words(a.kind) : '', a.quality].filter(Boolean).join(', ')})</span>}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Type</dt>
      <dd>{words(entity.type)}</dd>
      <dt>Countries</dt>
      <dd>{countries(entity.countries)}</dd>
      <dt>Date of birth</dt>
      <dd>{entity.dates_of_birth.length ? entity.dates_of_birth.join(', ') : '—'}</dd>
      <dt>Programmes</dt>
      <dd>{entity.programmes.length ? entity.programmes.join(', ') : '—'}</dd>
      <dt>Identifiers</dt>
      <dd>
        {entity.identifiers.length === 0 ? '—' : (
          <ul className="scr-plain">
            {entity.identifiers.map((d, i) => (
              <li key={i}>
                {d.type}: <code>{d.value}</code>
                {d.country && <span className="muted small"> ({d.country})</span>}
              </li>
            ))}
          </ul>
        )}
      </dd>
      <dt>Addresses</dt>
      <dd>
        {entity.addresses.length === 0 ? '—' : (
          <ul className="scr-plain">
            {entity.addresses.map((a, i) => (
              <li key={i}>{a.text}{a.country && !a.text.includes(a.country) ? ` (${a.country})` : ''}</li>
            ))}
          </ul>
        )}
      </dd>
      {entity.remarks && (
        <>
          <dt>Remarks</dt>
          <dd className="scr-remarks">{entity.remarks}</dd>
        </>
      )}
    </dl>
  );
}

/** Party type and country in words, for a one-line summary. */
export const partyLine = (p: { country?: string | null; type?: string | null; dob?: string | null }) =>
  [p.type ? words(p.type) : null, p.country ? (/^[A-Z]{2}$/.test(p.country) ? countryLabel(p.country) : p.country) : null, p.dob ? `born ${p.dob}` : null].filter(Boolean).join(' · ') || 'no country, type or date of birth given';
