/**
 * Print hosts of the organisation: one-time enrolment tokens (shown once),
 * the devices with their key fingerprints and key history, revocation, and
 * the tickets bound to them.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, type Session } from '../api';
import { DataTable } from '../components/DataTable';
import { ErrorMessage } from '../components/ErrorMessage';
import { fmtTime, short, TicketsTable } from './TicketsPage';

interface Keys {
  id: string;
  content_key_sha256: string;
  signing_key_sha256: string;
  created_at: string;
  retired_at: string | null;
}

interface Device {
  id: string;
  organisation: { id: string; name: string };
  name: string;
  model: string | null;
  status: 'active' | 'revoked';
  enrolled_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  keys: Keys;
}

interface EnrolmentToken {
  id: string;
  device_name: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  device_id: string | null;
  status: 'pending' | 'used' | 'expired';
}

function KeyHistory({ id }: { id: string }) {
  const [keys, setKeys] = useState<Keys[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ keys: Keys[] }>('GET', `/api/devices/${encodeURIComponent(id)}/keys`)
      .then((r) => setKeys(r.keys))
      .catch(setError);
  }, [id]);
  if (error) return <ErrorMessage error={error} />;
  if (!keys) return <p className="muted">Loading…</p>;
  return (
    <ul className="tk-keys">
      {keys.map((k) => (
        <li key={k.id}>
          {k.retired_at ? <span className="muted">retired {fmtTime(k.retired_at)}</span> : <strong>current</strong>} · RSA <code className="wrap">{k.content_key_sha256}</code> · Ed25519{' '}
          <code className="wrap">{k.signing_key_sha256}</code>
        </li>
      ))}
    </ul>
  );
}

export function DevicesPage({ session }: { session: Session }) {
  const canManage = session.permissions.includes('devices:manage');
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [tokens, setTokens] = useState<EnrolmentToken[]>([]);
  const [created, setCreated] = useState<{ token: string; record: EnrolmentToken } | null>(null);
  const [name, setName] = useState('');
  const [hours, setHours] = useState('24');
  const [open, setOpen] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [reason, setReason] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [refresh, setRefresh] = useState(0);

  const load = useCallback(() => {
    api<{ devices: Device[] }>('GET', '/api/devices')
      .then((r) => setDevices(r.devices))
      .catch(setError);
    api<{ tokens: EnrolmentToken[] }>('GET', '/api/devices/enrolment-tokens')
      .then((r) => setTokens(r.tokens))
      .catch(setError);
  }, []);
  useEffect(load, [load]);

  const createToken = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ token: string; record: EnrolmentToken }>('POST', '/api/devices/enrolment-tokens', { ...(name.trim() ? { device_name: name.trim() } : {}), expires_in_hours: Number(hours) });
      setCreated(r);
      setName('');
      load();
    } catch (err) {
      setError(err);
    }
  };

  const revoke = async (id: string) => {
    setError(null);
    try {
      const r = await api<{ revoked_tickets: string[] }>('POST', `/api/devices/${encodeURIComponent(id)}/revoke`, { reason });
      setNotice(`Device revoked; ${r.revoked_tickets.length} ticket(s) bound to it were revoked and put on the revocation list.`);
      setRevoking(null);
      setReason('');
      setRefresh((n) => n + 1);
      load();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section>
      <h1>Devices</h1>
      <p className="muted">
        Print hosts of {session.organisation.name}. A host enrols with a one-time token and its own keys (an RSA key designs are wrapped to, an Ed25519 key that signs its usage
        records); tickets name hosts by the fingerprints of those keys.
      </p>
      <ErrorMessage error={error} />
      {notice && <p className="badge-status ok" role="status">{notice}</p>}
      {canManage && (
        <div className="card tk-panel">
          <h2>Enrol a print host</h2>
          <form className="tk-form" onSubmit={(e) => void createToken(e)}>
            <label>
              Device name
              <input value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. Bureau line 1" maxLength={200} />
            </label>
            <label>
              Valid for (hours)
              <input type="number" min={1} max={168} value={hours} onChange={(e) => setHours(e.target.value)} />
            </label>
            <button type="submit">Create enrolment token</button>
          </form>
          {created && (
            <div className="tk-secret" role="status">
              <p>
                <strong>Enrolment token — shown once.</strong> It expires {fmtTime(created.record.expires_at)}. On the print host run:
              </p>
              <pre data-testid="enrolment-token">fabgate-agent enrol --server {location.origin} --token {created.token}</pre>
            </div>
          )}
        </div>
      )}
      <h2>Devices</h2>
      <DataTable
        caption="Devices"
        rows={devices ?? []}
        rowKey={(d) => d.id}
        empty={devices === null ? 'Loading…' : 'No devices enrolled yet.'}
        columns={[
          { key: 'name', header: 'Name', value: (d) => d.name },
          { key: 'id', header: 'Device id', value: (d) => d.id, render: (d) => <code className="tk-id">{d.id}</code> },
          { key: 'model', header: 'Model', value: (d) => d.model },
          { key: 'status', header: 'Status', value: (d) => d.status, render: (d) => <span className={`badge-status ${d.status === 'active' ? 'ok' : 'failed'}`}>{d.status}</span> },
          { key: 'content', header: 'Content key', value: (d) => d.keys.content_key_sha256, render: (d) => <code title={d.keys.content_key_sha256}>{short(d.keys.content_key_sha256)}</code> },
          { key: 'signing', header: 'Signing key', value: (d) => d.keys.signing_key_sha256, render: (d) => <code title={d.keys.signing_key_sha256}>{short(d.keys.signing_key_sha256)}</code> },
          { key: 'enrolled', header: 'Enrolled', value: (d) => d.enrolled_at, render: (d) => fmtTime(d.enrolled_at) },
          {
            key: 'act',
            header: '',
            value: () => null,
            render: (d) => (
              <span className="tk-inline">
                <button type="button" className="secondary" onClick={() => setOpen(open === d.id ? null : d.id)}>{open === d.id ? 'Hide keys' : 'Keys'}</button>
                {canManage && d.status === 'active' && (revoking === d.id ? (
                  <>
                    <input aria-label={`Reason to revoke ${d.name}`} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Reason" />
                    <button type="button" disabled={reason.trim().length < 3} onClick={() => void revoke(d.id)}>Revoke</button>
                  </>
                ) : (
                  <button type="button" className="secondary" onClick={() => setRevoking(d.id)}>Revoke…</button>
                ))}
              </span>
            ),
          },
        ]}
      />
      {open && (
        <div className="card tk-panel">
          <h3>Keys of {devices?.find((d) => d.id === open)?.name}</h3>
          <KeyHistory id={open} />
        </div>
      )}
      <h2>Enrolment tokens</h2>
      <DataTable
        caption="Enrolment tokens"
        rows={tokens}
        rowKey={(t) => t.id}
        empty="None."
        columns={[
          { key: 'created', header: 'Created', value: (t) => t.created_at, render: (t) => fmtTime(t.created_at) },
          { key: 'name', header: 'For', value: (t) => t.device_name },
          { key: 'status', header: 'Status', value: (t) => t.status },
          { key: 'expires', header: 'Expires', value: (t) => t.expires_at, render: (t) => fmtTime(t.expires_at) },
          { key: 'device', header: 'Device', value: (t) => t.device_id, render: (t) => (t.device_id ? <code>{t.device_id}</code> : '—') },
        ]}
      />
      {session.permissions.includes('tickets:read') && (
        <>
          <h2>Print tickets</h2>
          <p className="muted">{session.organisation.kind === "device_operator" ? "Tickets bound to your devices." : "Tickets of your organisation."}</p>
          <TicketsTable refresh={refresh} />
        </>
      )}
    </section>
  );
}
