/**
 * Several API nodes on one database: each holds its own index and rebuilds it
 * when another node activates a version (the activation generation changes),
 * without being told.
 */
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../app/services.js';
import { DIALECTS, openTestServices, type TestServices } from '../shared/test-support/databases.js';
import { ScreeningRuntime } from './runtime.js';
import { FILES } from './test-support/lists.js';
import { loadOne } from './test-support/service.js';

describe.each(DIALECTS)('the index of each node on %s', (dialect) => {
  let a: TestServices;
  let b: Services;
  beforeAll(async () => {
    a = await openTestServices(dialect);
    const schema = dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(a.database.db)).rows[0]!.s : undefined;
    b = await openServices(a.config, { clock: a.clock, logger: pino({ level: 'silent' }), processMetrics: false, ...(schema ? { pgSchema: schema } : {}) });
  });
  afterAll(async () => {
    await b?.close();
    await a?.dispose();
  });

  it('follows activations made by another node', async () => {
    const nodeB = new ScreeningRuntime(b, { checkIntervalMs: 0 });
    const empty = await nodeB.snapshot();
    expect(empty).toMatchObject({ generation: 0, screener: null, listSet: null });

    await loadOne(a, FILES.consPrim, FILES.consAlt, FILES.consAdd, FILES.consComments);
    const first = await nodeB.snapshot();
    expect(first.generation).toBe(1);
    expect(first.screener!.screen({ id: 'q', name: 'Kontsern Sirius' }).map((m) => m.entity_id)).toContain('18783');
    // nothing changed: the same snapshot, not a rebuild
    expect(await nodeB.snapshot()).toBe(first);

    await loadOne(a, FILES.dpl);
    const second = await nodeB.snapshot();
    expect(second).not.toBe(first);
    expect(second.generation).toBe(2);
    expect(second.versions.map((v) => v.list)).toEqual(['us-bis-dpl', 'us-ofac-cons']);
    expect(second.entities.size).toBe(442 + 461);

    // concurrent callers share one build
    await loadOne(a, FILES.un2026);
    const [x, y] = await Promise.all([nodeB.snapshot(), nodeB.snapshot()]);
    expect(x).toBe(y);
    expect(x.generation).toBe(3);
  });
});
