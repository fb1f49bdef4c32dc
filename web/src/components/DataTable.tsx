import { useMemo, useState, type ReactNode } from 'react';

export interface Column<T> {
  key: string;
  header: string;
  /** The value used for sorting and filtering. */
  value: (row: T) => string | number | null;
  render?: (row: T) => ReactNode;
}

/** The one table of the UI: sortable columns, a filter box, pagination, an empty state. */
export function DataTable<T>(props: { rows: T[]; columns: Column<T>[]; rowKey: (row: T) => string; caption: string; pageSize?: number; empty?: ReactNode }) {
  const { rows, columns, rowKey, caption } = props;
  const pageSize = props.pageSize ?? 20;
  const [sort, setSort] = useState<{ key: string; dir: 1 | -1 } | null>(null);
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    let out = f ? rows.filter((r) => columns.some((c) => String(c.value(r) ?? '').toLowerCase().includes(f))) : rows;
    if (sort) {
      const col = columns.find((c) => c.key === sort.key);
      if (col) {
        out = [...out].sort((a, b) => {
          const va = col.value(a) ?? '';
          const vb = col.value(b) ?? '';
          return (va < vb ? -1 : va > vb ? 1 : 0) * sort.dir;
        });
      }
    }
    return out;
  }, [rows, columns, sort, filter]);

  const pages = Math.max(1, Math.ceil(shown.length / pageSize));
  const current = Math.min(page, pages - 1);
  const slice = shown.slice(current * pageSize, (current + 1) * pageSize);

  return (
    <div className="table-wrap">
      <div className="table-tools">
        <label>
          Filter <input type="search" value={filter} onChange={(e) => { setFilter(e.target.value); setPage(0); }} aria-label={`Filter ${caption}`} />
        </label>
        <span className="muted">{shown.length} of {rows.length}</span>
      </div>
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort?.key === c.key;
              return (
                <th key={c.key} aria-sort={active ? (sort!.dir === 1 ? 'ascending' : 'descending') : 'none'}>
                  <button type="button" className="th-sort" onClick={() => setSort({ key: c.key, dir: active && sort!.dir === 1 ? -1 : 1 })}>
                    {c.header} {active ? (sort!.dir === 1 ? '▲' : '▼') : ''}
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {slice.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="empty">{props.empty ?? 'Nothing here yet.'}</td>
            </tr>
          ) : (
            slice.map((r) => (
              <tr key={rowKey(r)}>
                {columns.map((c) => (
                  <td key={c.key}>{c.render ? c.render(r) : String(c.value(r) ?? '')}</td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
      {pages > 1 && (
        <nav className="pager" aria-label={`${caption} pages`}>
          <button type="button" disabled={current === 0} onClick={() => setPage(current - 1)}>Previous</button>
          <span>Page {current + 1} of {pages}</span>
          <button type="button" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>Next</button>
        </nav>
      )}
    </div>
  );
}
