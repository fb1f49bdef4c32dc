/**
 * An amendment's difference from what it amends (the licence or the earlier
 * application): one row per change, before and after, as the server computed
 * it. Only the changed parts are reviewed again.
 */
import type { Amendment } from './types';

const show = (v: unknown): string => (v === undefined || v === null ? '—' : typeof v === 'string' ? v : typeof v === 'number' ? v.toLocaleString('en-GB') : JSON.stringify(v));

export function AmendmentDiffView({ amendment }: { amendment: Amendment }) {
  const d = amendment.diff;
  return (
    <section className="lic-diff" aria-labelledby="diff-heading">
      <h3 id="diff-heading">{amendment.amends_licence_id ? 'Changes to the licence' : 'Changes to the application'}</h3>
      {d.changes.length === 0 ? (
        <p className="lic-empty">Nothing changed yet: change quantities, parties, destinations or validity, then submit.</p>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Amendment changes</caption>
            <thead>
              <tr>
                <th scope="col">Change</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {d.changes.map((c, i) => (
                <tr key={i}>
                  <th scope="row">{c.label}</th>
                  <td>
                    <del>{show(c.before)}</del>
                  </td>
                  <td>
                    <ins>{show(c.after)}</ins>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {d.sections.length > 0 && <p className="muted small">Sections reviewed again: {d.sections.join(', ')}.</p>}
    </section>
  );
}
