/**
 * A risk assessment as a chart, never an opaque number: one bar per indicator
 * (its total) and per contribution beneath it, drawn from a common zero line —
 * right raises the score, left lowers it — with what was observed, the
 * configuration line and source that gave the points, and the application
 * fields the observation is about.
 *
 * Drawn as SVG inside a table rather than with a charting library: the table
 * is what a screen reader reads (every number is text in a cell), the bars
 * are decoration for the eye (aria-hidden), and a diverging bar per row is a
 * few lines of geometry that need no canvas and no dependency.
 */
import { Fragment } from 'react';

export interface RiskContributionData {
  indicator: string;
  points: number;
  observed: string;
  source: string;
  fields: string[];
}

export interface RiskData {
  config_version: string;
  config_sha256: string;
  score: number;
  band: string;
  by_indicator: Record<string, number>;
  contributions: RiskContributionData[];
  countersignatures_required: number;
  countersign_reasons: string[];
}

const ORDER = ['application_domain', 'technical_complexity', 'production_scale', 'due_diligence', 'destination', 'party_history', 'red_flags'];
const W = 150;
const H = 14;

function Bar({ points, min, max, strong }: { points: number; min: number; max: number; strong?: boolean }) {
  const scale = (v: number) => ((v - min) / (max - min)) * W;
  const zero = scale(0);
  const x = scale(points);
  const cls = points > 0 ? 'risk-up' : points < 0 ? 'risk-down' : 'risk-zero';
  return (
    <svg className={`risk-bar ${cls}${strong ? ' strong' : ''}`} width={W} height={H} viewBox={`0 0 ${W} ${H}`} aria-hidden="true" focusable="false">
      <line x1={zero} x2={zero} y1={0} y2={H} className="risk-axis" />
      {points !== 0 && <rect x={Math.min(zero, x)} y={strong ? 1 : 3} width={Math.max(1, Math.abs(x - zero))} height={strong ? H - 2 : H - 6} rx={2} />}
    </svg>
  );
}

const label = (s: string) => s.replace(/_/g, ' ');
const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

export function RiskBreakdownChart({ risk, caption = 'Risk breakdown' }: { risk: RiskData; caption?: string }) {
  const indicators = [...ORDER.filter((i) => i in risk.by_indicator), ...Object.keys(risk.by_indicator).filter((i) => !ORDER.includes(i))];
  // One scale for every bar, the total included, so lengths compare across rows.
  const values = [...Object.values(risk.by_indicator), ...risk.contributions.map((c) => c.points), risk.score, 0];
  const min = Math.min(...values);
  const max = Math.max(...values, 1);
  return (
    <div className="risk">
      <p className="risk-total">
        Score <strong data-testid="risk-score">{risk.score}</strong> — band <span className={`lic-badge ${risk.band === 'low' ? 'ok' : risk.band === 'medium' ? 'warn' : 'danger'}`}>{risk.band}</span>{' '}
        <span className="muted small">
          (the sum of the {risk.contributions.length} contributions below; weights from risk configuration {risk.config_version}, <code>{risk.config_sha256.slice(0, 12)}…</code>)
        </span>
      </p>
      <p className="muted small">Bars to the right of the line raise the score, bars to the left lower it.</p>
      <div className="table-wrap">
        <table className="risk-table">
          <caption className="visually-hidden">
            {caption}: score {risk.score}, band {risk.band}
          </caption>
          <thead>
            <tr>
              <th scope="col">Indicator, observation and source</th>
              <th scope="col">Points</th>
              <th scope="col" aria-hidden="true" />
            </tr>
          </thead>
          <tbody>
            {indicators.map((ind) => {
              const parts = risk.contributions.filter((c) => c.indicator === ind);
              return (
                <Fragment key={ind}>
                  <tr className="risk-indicator">
                    <th scope="rowgroup">
                      <span className="risk-indicator-name">{label(ind)}</span> <span className="muted small">{parts.length === 0 ? 'no contribution' : `${parts.length} contribution${parts.length === 1 ? '' : 's'}`}</span>
                    </th>
                    <td className="risk-points">{signed(risk.by_indicator[ind] ?? 0)}</td>
                    <td>
                      <Bar points={risk.by_indicator[ind] ?? 0} min={min} max={max} strong />
                    </td>
                  </tr>
                  {parts.map((c, i) => (
                    <tr key={i} className="risk-contribution">
                      <td>
                        {c.observed}
                        <span className="risk-source small">
                          <span className="muted">source: </span>
                          {c.source}
                          {c.fields.length > 0 && (
                            <>
                              <br />
                              <span className="muted">fields: </span>
                              {c.fields.map((f) => (
                                <code key={f} className="risk-field">
                                  {f}
                                </code>
                              ))}
                            </>
                          )}
                        </span>
                      </td>
                      <td className="risk-points">{signed(c.points)}</td>
                      <td>
                        <Bar points={c.points} min={min} max={max} />
                      </td>
                    </tr>
                  ))}
                </Fragment>
              );
            })}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total (band {risk.band})</th>
              <td className="risk-points">
                <strong>{risk.score}</strong>
              </td>
              <td>
                <Bar points={risk.score} min={min} max={max} strong />
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      <p className="small">
        Countersignatures required: <strong>{risk.countersignatures_required}</strong>
        {risk.countersign_reasons.length > 0 && <> ({risk.countersign_reasons.join('; ')})</>}
      </p>
    </div>
  );
}
