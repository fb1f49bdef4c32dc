import type { Session } from '../api';
import { visibleNav } from '../components/Layout';

export function HomePage({ session }: { session: Session }) {
  const modules = visibleNav(session).filter((n) => n.path !== '/');
  return (
    <section>
      <h1>Overview</h1>
      <p>
        Signed in as <strong>{session.user?.display_name ?? session.principal.id}</strong> ({(session.role ?? 'token').replace(/_/g, ' ')}) of{' '}
        <strong>{session.organisation.name}</strong>.
      </p>
      <h2>Your modules</h2>
      <ul className="cards">
        {modules.map((m) => (
          <li key={m.path} className="card">
            <h3>{m.label}</h3>
            <p className="muted">{m.upcoming ? 'Not available in this version yet.' : 'Available.'}</p>
          </li>
        ))}
      </ul>
      <h2>Your permissions</h2>
      <p className="muted">{session.permissions.join(', ') || 'none'}</p>
    </section>
  );
}
