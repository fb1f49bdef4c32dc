import { describe, expect, it } from 'vitest';
import { FabgateError } from './errors.js';
import { configVariables, loadConfig } from './config.js';

describe('configuration', () => {
  it('has defaults for a fresh machine: SQLite in ./data, port 8080', () => {
    const c = loadConfig({}, '/srv/fabgate');
    expect(c.dataDir).toBe('/srv/fabgate/data');
    expect(c.port).toBe(8080);
    expect(c.databaseUrl).toBeUndefined();
    expect(c.seedDemo).toBe(true);
  });

  it('stops on bad configuration with a message naming the variable', () => {
    for (const env of [{ FABGATE_PORT: 'eighty' }, { FABGATE_DATABASE_URL: 'mysql://x' }, { FABGATE_KEK: 'short' }]) {
      try {
        loadConfig(env);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(FabgateError);
        expect((e as FabgateError).code).toBe('CONFIG_INVALID');
        expect((e as FabgateError).message).toContain(Object.keys(env)[0]);
      }
    }
  });

  it('describes every variable (the README table is made from this)', () => {
    expect(configVariables.length).toBeGreaterThan(8);
    for (const v of configVariables) expect(v.description.length).toBeGreaterThan(10);
  });
});

describe('the README configuration table', () => {
  it('lists every variable Fabgate reads', async () => {
    const { readFileSync } = await import('node:fs');
    const { repoRoot } = await import('./test-support/shared-data.js');
    const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
    for (const v of configVariables) expect(readme, v.name).toContain('`' + v.name + '`');
  });
});
