import type { ReactNode } from 'react';
import type { Session } from '../api';
import { AppLink } from './AppLink';

export interface NavItem {
  path: string;
  label: string;
  /** Shown when the session holds this permission, or any of these (or always when absent). */
  permission?: string | string[];
  /** A module not built yet: listed, not linked. */
  upcoming?: boolean;
}

export const NAV: NavItem[] = [
  { path: '/', label: 'Overview' },
  { path: '/classification', label: 'Classification', permission: 'classification:run' },
  { path: '/screening', label: 'Screening', permission: ['screening:run', 'lists:manage'] },
  { path: '/applications', label: 'Applications', permission: 'applications:read' },
  { path: '/cases', label: 'Cases', permission: 'cases:read' },
  { path: '/appeals', label: 'Appeals', permission: 'cases:read' },
  { path: '/licences', label: 'Licences', permission: 'licences:read' },
  { path: '/designs', label: 'Designs & tickets', permission: 'designs:read' },
  { path: '/devices', label: 'Devices', permission: 'devices:read' },
  { path: '/log', label: 'Transparency log' },
  { path: '/audit', label: 'Audit trail', permission: 'audit:read' },
];

export function visibleNav(session: Session): NavItem[] {
  return NAV.filter((n) => !n.permission || (Array.isArray(n.permission) ? n.permission : [n.permission]).some((p) => session.permissions.includes(p)));
}

export function Layout({ session, path, onLogout, children }: { session: Session; path: string; onLogout: () => void; children: ReactNode }) {
  const roleLabel = (session.role ?? 'api token').replace(/_/g, ' ');
  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">Fabgate</span>
        <span className="who" data-testid="who">
          <span>{session.user?.display_name ?? session.principal.id}</span>
          <span className="badge">{roleLabel}</span>
          <span className="muted">{session.organisation.name} · {session.organisation.kind.replace(/_/g, ' ')}</span>
        </span>
        <button type="button" onClick={onLogout}>Sign out</button>
      </header>
      <nav className="sidenav" aria-label="Modules">
        <ul>
          {visibleNav(session).map((n) => (
            <li key={n.path}>
              {n.upcoming ? (
                <span className="upcoming" title="This module is not available in this version yet">{n.label}</span>
              ) : (
                <AppLink to={n.path} current={n.path === path}>{n.label}</AppLink>
              )}
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>{children}</main>
    </div>
  );
}
