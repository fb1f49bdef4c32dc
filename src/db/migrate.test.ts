import { describe, expect, it } from 'vitest';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { DIALECTS, openTestServices } from '../shared/test-support/databases.js';

describe.each(DIALECTS)('migrations on %s', (dialect) => {
  it('build the schema from empty, then have nothing left to apply', async () => {
    const s = await openTestServices(dialect);
    try {
      const tables = (await s.database.db.introspection.getTables()).map((t) => t.name);
      for (const t of ['organisations', 'users', 'sessions', 'api_tokens', 'audit_events', 'login_throttle']) expect(tables).toContain(t);
      expect(await migrate(s.database)).toEqual([]);
      const applied = await s.database.db.selectFrom('fabgate_migrations' as never).select('name' as never).execute();
      expect(applied.length).toBe(migrations.length);
    } finally {
      await s.dispose();
    }
  });
});
