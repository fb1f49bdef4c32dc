import { useEffect, useState } from 'react';
import { api, ApiError, setCsrfToken, type Session } from './api';
import { Layout } from './components/Layout';
import { ErrorMessage } from './components/ErrorMessage';
import { match, navigate, useLocation } from './router';
import { AuditPage } from './pages/AuditPage';
import { ClassificationPage } from './pages/ClassificationPage';
import { DesignsPage } from './pages/DesignsPage';
import { DevicesPage } from './pages/DevicesPage';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { LogPage } from './pages/LogPage';
import { TicketPage } from './pages/TicketsPage';
import { ApplicationPage, ApplicationsPage } from './pages/licensing/ApplicationsPage';
import { AppealsPage } from './pages/licensing/AppealsPage';
import { CasePage } from './pages/licensing/CasePage';
import { CasesPage } from './pages/licensing/CasesPage';
import { LicencePage, LicencesPage } from './pages/licensing/LicencesPage';
import { ScreeningPage } from './pages/screening/ScreeningPage';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const { path } = useLocation();

  useEffect(() => {
    api<Session>('GET', '/api/session')
      .then((s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) setSession(null);
        else setError(e);
      });
  }, []);

  if (error) return <ErrorMessage error={error} />;
  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null) {
    return (
      <LoginPage
        onLogin={(s) => {
          setCsrfToken(s.csrf_token);
          setSession(s);
        }}
      />
    );
  }

  const logout = async () => {
    await api('DELETE', '/api/session').catch(() => undefined);
    setCsrfToken(null);
    setSession(null);
    navigate('/');
  };

  let page;
  if (path === '/') page = <HomePage session={session} />;
  else if (path === '/audit' && session.permissions.includes('audit:read')) page = <AuditPage />;
  else if (path === '/classification') page = <ClassificationPage session={session} />;
  else if (path === '/log') page = <LogPage />;
  // the lists view is open to every signed-in role; the page offers each role only its own views
  else if (path === '/screening') page = <ScreeningPage session={session} />;
  else if (path === '/designs' && session.permissions.includes('designs:read')) page = <DesignsPage session={session} />;
  else if (match('/designs/:id', path) && session.permissions.includes('designs:read')) page = <DesignsPage session={session} id={match('/designs/:id', path)!.id!} />;
  else if (match('/tickets/:id', path) && session.permissions.includes('tickets:read')) page = <TicketPage id={match('/tickets/:id', path)!.id!} />;
  else if (path === '/devices' && session.permissions.includes('devices:read')) page = <DevicesPage session={session} />;
  else if (path === '/applications' && session.permissions.includes('applications:read')) page = <ApplicationsPage session={session} />;
  else if (match('/applications/:id', path) && session.permissions.includes('applications:read')) page = <ApplicationPage key={match('/applications/:id', path)!.id!} id={match('/applications/:id', path)!.id!} />;
  else if (path === '/cases' && session.permissions.includes('cases:read')) page = <CasesPage session={session} />;
  else if (match('/cases/:id', path) && session.permissions.includes('cases:read')) page = <CasePage key={match('/cases/:id', path)!.id!} id={match('/cases/:id', path)!.id!} session={session} />;
  else if (path === '/appeals' && session.permissions.includes('cases:read')) page = <AppealsPage session={session} />;
  else if (path === '/licences' && session.permissions.includes('licences:read')) page = <LicencesPage session={session} />;
  else if (match('/licences/:id', path) && session.permissions.includes('licences:read')) page = <LicencePage key={match('/licences/:id', path)!.id!} id={match('/licences/:id', path)!.id!} session={session} />;
  else page = (
    <section>
      <h1>Not found</h1>
      <p>There is no page at <code>{path}</code> for your role.</p>
    </section>
  );
  return (
    <Layout session={session} path={path} onLogout={() => void logout()}>
      {page}
    </Layout>
  );
}
