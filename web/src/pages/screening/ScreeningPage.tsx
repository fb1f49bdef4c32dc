/**
 * The screening module: screen one party, batches, the customer register, the
 * alert queue with its review, past decisions and the lists. One page at
 * /screening with the view in the query (`?view=alerts`, `?view=alert&id=…`),
 * as classification does, so the navigation entry stays current and a reload
 * keeps the view. A role sees only the views and actions the API allows it.
 */
import type { Session } from '../../api';
import { useLocation } from '../../router';
import { AlertReview, AlertsView, DecisionsView } from './AlertsView';
import { BatchesView } from './BatchesView';
import { CustomersView, CustomerView } from './CustomersView';
import { ListsView } from './ListsView';
import { ScreenView } from './ScreenView';
import { can, Tabs, type View } from './shared';

export function ScreeningPage({ session }: { session: Session }) {
  const { query } = useLocation();
  const run = can(session, 'screening:run');
  const review = can(session, 'screening:review');
  const view = (query.get('view') ?? (run ? 'screen' : 'lists')) as View;
  const id = query.get('id') ?? undefined;
  let body;
  if (view === 'screen' && run) body = <ScreenView session={session} />;
  else if (view === 'batches' && run) body = <BatchesView key={id ?? ''} id={id} />;
  else if (view === 'customers' && run) body = <CustomersView session={session} />;
  else if (view === 'customer' && run && id) body = <CustomerView key={id} id={id} session={session} />;
  else if (view === 'alerts' && review) body = <AlertsView />;
  else if (view === 'alert' && review && id) body = <AlertReview key={id} id={id} />;
  else if (view === 'decisions' && review) body = <DecisionsView />;
  else if (view === 'lists') body = <ListsView session={session} />;
  else body = <p>There is no such view for your role.</p>;
  return (
    <section className="scr-page">
      <h1>Screening</h1>
      <Tabs view={view} session={session} />
      {body}
    </section>
  );
}
