/**
 * Designs and tickets: upload a build file (protected at once), see its
 * classification link, name devices under a licence, protect the design for
 * them, issue a print ticket and download its bundle with the log receipt
 * verified in the browser; and every ticket with its state and usage.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type Session } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { ReceiptBadge } from '../components/ReceiptBadge';
import { AppLink } from '../components/AppLink';
import { navigate } from '../router';
import { BundleLink, fmtTime, short, TicketsTable, TicketState, useLogKey, type Ticket, type TicketBundle } from './TicketsPage';

interface Design {
  id: string;
  name: string;
  filename: string;
  format: '3mf' | 'gcode' | 'bgcode' | 'stl';
  plain_size: number;
  plain_sha256: string;
  stored_size: number;
  stored_sha256: string;
  item: { id: string; name: string | null; kind: string | null; classification: { id: string; status: string; controlled_by: string[]; classified_at: string } | null; missing: boolean } | null;
  protection: { layout?: string; encrypted_parts?: string[]; warnings: string[] };
  created_at: string;
}

interface Release {
  id: string;
  licence_id: string;
  manifest_sha256: string;
  devices: Array<{ id: string; content_key_sha256: string }>;
  created_at: string;
}

interface Licence {
  id: string;
  reference: string;
  status: string;
  valid_to: string | null;
  items: Array<{ id: string; name: string; kind: string; remaining: number | null; granted: number | null; unit: string | null }>;
}

interface NamedDevice {
  device: { id: string; name: string; model: string | null; status: string; organisation: { name: string }; content_key_sha256: string };
}

interface RegisterItem {
  id: string;
  name: string;
}

const DEFAULT_ENVELOPE = {
  build_volume_mm: { x: [0, 250], y: [-4, 210], z: [0, 210] },
  nozzle_temp_c: { max: 260 },
  bed_temp_c: { max: 110 },
  feed_rate_mm_min: { max: 12000 },
  forbidden_commands: ['M302', 'M500', 'M502'],
};

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

function DesignLink({ d }: { d: Design }) {
  const to = `/designs/${encodeURIComponent(d.id)}`;
  return (
    <AppLink to={to}>
      {d.name}
    </AppLink>
  );
}

function ClassificationLink({ item }: { item: Design['item'] }) {
  if (!item) return <span className="muted">not linked</span>;
  const to = `/classification?view=item&id=${encodeURIComponent(item.id)}`;
  return (
    <span>
      <AppLink to={to}>{item.name ?? item.id}</AppLink>{' '}
      {item.classification ? (
        <span className={`badge-status ${item.classification.status === 'not_controlled' ? 'ok' : item.classification.status === 'controlled' ? 'failed' : 'pending'}`}>
          {item.classification.status.replace(/_/g, ' ')}
          {item.classification.controlled_by.length ? `: ${item.classification.controlled_by.join(', ')}` : ''}
        </span>
      ) : (
        <span className="muted">not classified yet</span>
      )}
    </span>
  );
}

function Upload({ onDone }: { onDone: (d: Design) => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState('');
  const [itemId, setItemId] = useState('');
  const [items, setItems] = useState<RegisterItem[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ items: RegisterItem[] }>('GET', '/api/items')
      .then((r) => setItems(r.items))
      .catch(() => setItems([]));
  }, []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(null);
    const form = new FormData();
    form.set('file', file);
    if (name.trim()) form.set('name', name.trim());
    if (itemId) form.set('item_id', itemId);
    try {
      onDone(await api<Design>('POST', '/api/designs', form));
      setFile(null);
      setName('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card tk-panel">
      <h2>Upload a design</h2>
      <p className="muted">A 3MF, G-code, binary G-code or STL file. It is encrypted on arrival; the server never stores it in the clear.</p>
      <form className="tk-form" onSubmit={(e) => void submit(e)}>
        <label>
          Build file
          <input type="file" accept=".3mf,.gcode,.gco,.bgcode,.stl" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="from the file name" maxLength={200} />
        </label>
        <label>
          Classification item
          <select value={itemId} onChange={(e) => setItemId(e.target.value)}>
            <option value="">— none —</option>
            {items.map((i) => (
              <option key={i.id} value={i.id}>{i.name}</option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!file || busy}>{busy ? 'Protecting…' : 'Upload and protect'}</button>
      </form>
      <ErrorMessage error={error} />
    </div>
  );
}

function DesignList({ session }: { session: Session }) {
  const [designs, setDesigns] = useState<Design[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    api<{ designs: Design[] }>('GET', '/api/designs')
      .then((r) => setDesigns(r.designs))
      .catch(setError);
  }, []);
  useEffect(load, [load]);
  return (
    <section>
      <h1>Designs &amp; tickets</h1>
      {session.permissions.includes('designs:write') && <Upload onDone={(d) => navigate(`/designs/${encodeURIComponent(d.id)}`)} />}
      <ErrorMessage error={error} />
      <h2>Designs</h2>
      <DataTable
        caption="Designs"
        rows={designs ?? []}
        rowKey={(d) => d.id}
        empty={designs === null ? 'Loading…' : 'No designs yet.'}
        columns={[
          { key: 'name', header: 'Design', value: (d) => d.name, render: (d) => <DesignLink d={d} /> },
          { key: 'format', header: 'Format', value: (d) => d.format },
          { key: 'size', header: 'Size', value: (d) => d.plain_size, render: (d) => kib(d.plain_size) },
          { key: 'cls', header: 'Classification', value: (d) => d.item?.classification?.status ?? '', render: (d) => <ClassificationLink item={d.item} /> },
          { key: 'created', header: 'Uploaded', value: (d) => d.created_at, render: (d) => fmtTime(d.created_at) },
        ]}
      />
      {session.permissions.includes('tickets:read') && (
        <>
          <h2>Print tickets</h2>
          <TicketsTable canRevoke={session.permissions.includes('tickets:issue')} />
        </>
      )}
    </section>
  );
}

function DesignDetail({ id, session }: { id: string; session: Session }) {
  const canWrite = session.permissions.includes('designs:write');
  const canIssue = session.permissions.includes('tickets:issue');
  const [data, setData] = useState<{ design: Design; releases: Release[] } | null>(null);
  const [licences, setLicences] = useState<Licence[]>([]);
  const [licenceId, setLicenceId] = useState('');
  const [named, setNamed] = useState<NamedDevice[]>([]);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [newDevice, setNewDevice] = useState('');
  const [release, setRelease] = useState<Release | null>(null);
  const [prints, setPrints] = useState('2');
  const [until, setUntil] = useState(() => new Date(Date.now() + 30 * 86400_000).toISOString().slice(0, 10));
  const [envelope, setEnvelope] = useState(JSON.stringify(DEFAULT_ENVELOPE, null, 2));
  const [issued, setIssued] = useState<{ ticket: Ticket; bundle: TicketBundle; log_index: string | null } | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const logKey = useLogKey();

  const load = useCallback(() => {
    api<{ design: Design; releases: Release[] }>('GET', `/api/designs/${encodeURIComponent(id)}`)
      .then(setData)
      .catch(setError);
  }, [id]);
  useEffect(load, [load]);
  useEffect(() => {
    if (!canIssue) return;
    api<{ licences: Licence[] }>('GET', '/api/licences?status=active')
      .then((r) => {
        setLicences(r.licences);
        if (r.licences.length === 1) setLicenceId(r.licences[0]!.id);
      })
      .catch(setError);
  }, [canIssue]);
  const loadNamed = useCallback(() => {
    if (!licenceId) return setNamed([]);
    api<{ devices: NamedDevice[] }>('GET', `/api/licences/${encodeURIComponent(licenceId)}/devices`)
      .then((r) => {
        setNamed(r.devices);
        setChosen(new Set(r.devices.filter((d) => d.device.status === 'active').map((d) => d.device.id)));
      })
      .catch(setError);
  }, [licenceId]);
  useEffect(loadNamed, [loadNamed]);

  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const nameDevice = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      await api('POST', `/api/licences/${encodeURIComponent(licenceId)}/devices`, { device_id: newDevice.trim() });
      setNewDevice('');
      loadNamed();
    });
  };
  const protect = () =>
    run(async () => {
      const r = await api<{ release: Release; created: boolean }>('POST', `/api/designs/${encodeURIComponent(id)}/releases`, { licence_id: licenceId, device_ids: [...chosen] });
      setRelease(r.release);
      load();
    });
  const issue = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      let env: unknown;
      try {
        env = JSON.parse(envelope);
      } catch {
        throw new Error('The envelope is not valid JSON.');
      }
      const r = await api<{ ticket: Ticket; bundle: TicketBundle; log_index: string | null }>('POST', '/api/tickets', {
        licence_id: licenceId,
        design_id: id,
        device_ids: [...chosen],
        prints: Number(prints),
        not_after: new Date(`${until}T23:59:59.000Z`).toISOString(),
        envelope: env,
      });
      setIssued(r);
      setRefresh((n) => n + 1);
    });
  };

  if (!data) return error ? <ErrorMessage error={error} /> : <p className="muted">Loading…</p>;
  const d = data.design;
  const licence = licences.find((l) => l.id === licenceId);
  return (
    <section>
      <p>
        <AppLink to="/designs">← Designs &amp; tickets</AppLink>
      </p>
      <h1>{d.name}</h1>
      <div className="tk-cards">
        <div className="card">
          <h2>Design</h2>
          <dl className="tk-meta">
            <dt>File</dt>
            <dd>{d.filename} ({d.format.toUpperCase()}, {kib(d.plain_size)})</dd>
            <dt>Classification</dt>
            <dd data-testid="classification-link"><ClassificationLink item={d.item} /></dd>
            <dt>Stored</dt>
            <dd>sealed to the server’s vault key ({kib(d.stored_size)}){d.protection.encrypted_parts ? `; ${d.protection.encrypted_parts.length} encrypted part(s)` : ''}</dd>
            <dt>Uploaded</dt>
            <dd>{fmtTime(d.created_at)}</dd>
          </dl>
        </div>
        <div className="card">
          <h2>Releases</h2>
          {data.releases.length === 0 ? (
            <p className="muted">Not released to any device yet.</p>
          ) : (
            <ul className="tk-releases">
              {data.releases.map((r) => (
                <li key={r.id}>
                  {r.devices.map((x) => <code key={x.id} className="tk-id">{x.id}</code>)} — manifest <code title={r.manifest_sha256}>{short(r.manifest_sha256, 16)}</code>
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
      <ErrorMessage error={error} />
      {canIssue && canWrite && (
        <>
          <div className="card tk-panel">
            <h2>1. Devices under a licence</h2>
            <label className="tk-field">
              Licence
              <select value={licenceId} onChange={(e) => setLicenceId(e.target.value)}>
                <option value="">— choose an active licence —</option>
                {licences.map((l) => (
                  <option key={l.id} value={l.id}>{l.reference}</option>
                ))}
              </select>
            </label>
            {licence && (
              <p className="muted">
                Valid until {licence.valid_to ? fmtTime(licence.valid_to) : 'revoked'}; balance:{' '}
                {licence.items.map((i) => `${i.name} ${i.remaining ?? '∞'}${i.unit ? ` ${i.unit}` : ''}`).join('; ')}
              </p>
            )}
            {licenceId && (
              <>
                <fieldset className="tk-devices">
                  <legend>Devices named under this licence</legend>
                  {named.length === 0 && <p className="muted">None yet: add a print host by the id its operator gave you.</p>}
                  {named.map((n) => (
                    <label key={n.device.id}>
                      <input
                        type="checkbox"
                        disabled={n.device.status !== 'active'}
                        checked={chosen.has(n.device.id)}
                        onChange={(e) => {
                          const next = new Set(chosen);
                          if (e.target.checked) next.add(n.device.id);
                          else next.delete(n.device.id);
                          setChosen(next);
                        }}
                      />{' '}
                      {n.device.name} <span className="muted">({n.device.organisation.name}, <code>{n.device.id}</code>, key {short(n.device.content_key_sha256)})</span>
                    </label>
                  ))}
                </fieldset>
                <form className="tk-form" onSubmit={nameDevice}>
                  <label>
                    Device id
                    <input value={newDevice} onChange={(e) => setNewDevice(e.target.value)} placeholder="dev_…" />
                  </label>
                  <button type="submit" className="secondary" disabled={busy || !newDevice.trim()}>Name under this licence</button>
                </form>
              </>
            )}
          </div>
          <div className="card tk-panel">
            <h2>2. Protect for these devices</h2>
            <p className="muted">Wraps the design to the chosen devices’ keys only. The manifest hash is what their tickets bind to.</p>
            <button type="button" disabled={busy || !licenceId || chosen.size === 0} onClick={() => void protect()}>
              Protect for {chosen.size} device(s)
            </button>
            {release && (
              <p role="status" data-testid="release">
                Protected for {release.devices.length} device(s): manifest <code className="wrap">{release.manifest_sha256}</code>
              </p>
            )}
          </div>
          <div className="card tk-panel">
            <h2>3. Issue a print ticket</h2>
            <form className="tk-issue" onSubmit={issue}>
              <label>
                Prints
                <input type="number" min={1} value={prints} onChange={(e) => setPrints(e.target.value)} />
              </label>
              <label>
                Valid until
                <input type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
              </label>
              <label className="tk-wide">
                Parameter envelope (JSON)
                <textarea rows={9} value={envelope} onChange={(e) => setEnvelope(e.target.value)} />
              </label>
              <button type="submit" disabled={busy || !licenceId || chosen.size === 0}>Issue ticket</button>
            </form>
            {issued && (
              <div className="tk-issued" role="status" data-testid="issued">
                <p>
                  Ticket <code>{issued.ticket.jti}</code> <TicketState state={issued.ticket.state} /> for {issued.ticket.prints} print(s) until {fmtTime(issued.ticket.not_after)}.
                </p>
                <p><BundleLink bundle={issued.bundle} jti={issued.ticket.jti} /></p>
                {issued.bundle.log && logKey ? <ReceiptBadge receipt={issued.bundle.log.receipt} verifierKey={logKey} /> : <p className="muted">The log had not answered; the ticket verifies without a receipt.</p>}
              </div>
            )}
          </div>
        </>
      )}
      <h2>Tickets for this design</h2>
      <TicketsTable designId={id} refresh={refresh} canRevoke={canIssue} />
    </section>
  );
}

export function DesignsPage({ session, id }: { session: Session; id?: string }) {
  return id ? <DesignDetail id={id} session={session} /> : <DesignList session={session} />;
}
