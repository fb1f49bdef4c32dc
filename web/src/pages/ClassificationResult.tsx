/**
 * A classification as an officer reads it: the answer first (controlled by
 * which entries, what is missing, what needs review), then the licence
 * requirement for the destination per regime with its reasons and what the
 * rule data cannot tell, the comparison across regimes, and every applicable
 * entry with its trace tree.
 */
import { TraceTree } from '../components/TraceTree';
import { StatusBadge, type Classification, type EntryResult, type RegimeDestination } from './ClassificationShared';

function KeyList({ keys, empty }: { keys: string[]; empty: string }) {
  if (keys.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="cls-keys">
      {keys.map((k) => (
        <li key={k}>
          <code>{k}</code>
        </li>
      ))}
    </ul>
  );
}

function Entry({ r }: { r: EntryResult }) {
  const open = r.status !== 'not_controlled';
  return (
    <details className={`cls-entry ${r.status}`} open={open}>
      <summary>
        <code>{r.key}</code> <StatusBadge status={r.status} /> <span className="cls-entry-title">{r.title}</span>
      </summary>
      <div className="cls-entry-body">
        {r.missing.length > 0 && (
          <div className="cls-callout warn">
            <strong>Missing parameters</strong> (state them to settle this entry):
            <KeyList keys={r.missing} empty="" />
          </div>
        )}
        {r.review.length > 0 && (
          <div className="cls-callout warn">
            <strong>Needs an officer’s review:</strong>
            <ul>
              {r.review.map((x) => (
                <li key={x}>{x}</li>
              ))}
            </ul>
          </div>
        )}
        {r.effect && <p><strong>Effect:</strong> {r.effect}</p>}
        <h4>Trace{r.branch ? ` (${r.branch} branch)` : ''}</h4>
        <TraceTree trace={r.trace} label={`Trace of ${r.key}`} />
        <dl className="cls-meta">
          {r.reasons_for_control.length > 0 && (
            <>
              <dt>Reasons for control</dt>
              <dd>{r.reasons_for_control.join(', ')}</dd>
            </>
          )}
          <dt>Source confidence</dt>
          <dd>{r.confidence}</dd>
        </dl>
        {r.notes.length > 0 && (
          <details className="cls-notes">
            <summary>Notes ({r.notes.length})</summary>
            <ul>
              {r.notes.map((n, i) => (
                <li key={i}>
                  <strong>{n.type}:</strong> {n.summary}
                </li>
              ))}
            </ul>
          </details>
        )}
      </div>
    </details>
  );
}

/** The licence requirement per regime for one destination. */
export function DestinationTable({ regimes, caption }: { regimes: RegimeDestination[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="cls-destination">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Regime</th>
            <th scope="col">Licence</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {regimes.map((r) => (
            <tr key={r.regime}>
              <th scope="row">{r.regime}</th>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td>
                <ul className="cls-reasons">
                  {r.reasons.map((x, i) => (
                    <li key={i}>{x}</li>
                  ))}
                  {r.unknowns.map((x, i) => (
                    <li key={`u${i}`} className="cls-unknown">
                      <strong>Not in the rule data:</strong> {x}
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ClassificationResultView({ c }: { c: Classification }) {
  const regimes = c.rule_sets.map((r) => r.regime);
  const byRegime = regimes.map((regime) => ({ regime, results: c.results.filter((r) => r.regime === regime && r.applicable) }));
  const notApplicable = c.results.filter((r) => !r.applicable);
  return (
    <div className="cls-result">
      <section className="card cls-summary" aria-labelledby="cls-answer">
        <h2 id="cls-answer">
          Result: <StatusBadge status={c.status} />
        </h2>
        <dl className="cls-meta">
          <dt>Controlled by</dt>
          <dd data-testid="controlled-by">
            <KeyList keys={c.controlled_by} empty="no entry" />
          </dd>
          <dt>Needs information</dt>
          <dd>
            <KeyList keys={c.needs_information} empty="none" />
          </dd>
          <dt>Needs review</dt>
          <dd>
            <KeyList keys={c.needs_review} empty="none" />
          </dd>
          <dt>Rule sets</dt>
          <dd className="small">
            {c.rule_sets.map((r) => (
              <span key={r.id} className="cls-ruleset" title={`sha256 ${r.sha256}`}>
                {r.id} {r.version}
              </span>
            ))}
          </dd>
        </dl>
      </section>

      {c.destination && (
        <section aria-labelledby="cls-dest">
          <h2 id="cls-dest">
            Destination: {c.destination.destination.name} ({c.destination.destination.code})
            {c.destination.destination.assessed_as ? `, assessed as ${c.destination.destination.assessed_as}` : ''}
          </h2>
          <DestinationTable regimes={c.destination.regimes} caption={`Licence requirement for ${c.destination.destination.name}`} />
        </section>
      )}

      {c.comparison && (
        <section aria-labelledby="cls-compare">
          <h2 id="cls-compare">Across regimes</h2>
          <dl className="cls-meta">
            <dt>Controlled in</dt>
            <dd>{c.comparison.controlled_in.join(', ') || 'none'}</dd>
            <dt>Not controlled in</dt>
            <dd>{c.comparison.not_controlled_in.join(', ') || 'none'}</dd>
            <dt>Undecided in</dt>
            <dd>{c.comparison.undecided_in.join(', ') || 'none'}</dd>
          </dl>
          {c.comparison.families.some((f) => f.divergence) && (
            <ul>
              {c.comparison.families
                .filter((f) => f.divergence)
                .map((f) => (
                  <li key={f.family.join()}>{f.divergence}</li>
                ))}
            </ul>
          )}
        </section>
      )}

      <section aria-labelledby="cls-entries">
        <h2 id="cls-entries">Entries and their traces</h2>
        {byRegime.map(({ regime, results }) => (
          <section key={regime} className="cls-regime" aria-label={`${regime} entries`}>
            <h3>{regime}</h3>
            {results.length === 0 ? <p className="muted">No entry of this regime covers this kind of item.</p> : results.map((r) => <Entry key={r.key} r={r} />)}
          </section>
        ))}
        {notApplicable.length > 0 && (
          <details className="cls-notes">
            <summary>{notApplicable.length} entries do not cover this kind of item</summary>
            <ul>
              {notApplicable.map((r) => (
                <li key={r.key}>
                  <code>{r.key}</code> {r.title}
                </li>
              ))}
            </ul>
          </details>
        )}
      </section>
    </div>
  );
}
