import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../shared/test-support/cli.js';
import { registerServiceCommands } from './cli.js';

describe('fabgate org / user / token / migrate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fabgate-cli-'));
  const env = { FABGATE_DATA_DIR: dir, FABGATE_KEK: randomBytes(32).toString('base64'), FABGATE_LOG_LEVEL: 'silent' };
  const run = (...argv: string[]) => runCli([registerServiceCommands], argv, { env });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates an empty database, then finds it up to date', async () => {
    const first = await run('migrate', '--json');
    expect(first.code).toBe(0);
    expect(first.json<{ applied: string[] }>().applied.length).toBeGreaterThan(0);
    const second = await run('migrate', '--json');
    expect(second.json<{ applied: string[] }>().applied).toEqual([]);
  });

  it('adds an organisation and a user, and lists them', async () => {
    const org = await run('org', 'add', '--name', 'Acme Powders', '--kind', 'exporter', '--country', 'SE', '--json');
    expect(org.code).toBe(0);
    const added = await run('user', 'add', '--org', 'Acme Powders', '--email', 'Eva@Acme.example', '--role', 'compliance_officer', '--password', 'twelve chars min', '--json');
    expect(added.code).toBe(0);
    expect(added.json<{ email: string }>().email).toBe('eva@acme.example');
    const list = await run('user', 'list', '--org', 'Acme Powders', '--json');
    expect(list.json<{ users: Array<{ email: string; role: string }> }>().users).toEqual([expect.objectContaining({ email: 'eva@acme.example', role: 'compliance_officer' })]);
    expect(list.stdout).not.toMatch(/argon2/);
  });

  it('exits 2 with a stable code on bad input', async () => {
    const badRole = await run('user', 'add', '--org', 'Acme Powders', '--email', 'x@acme.example', '--role', 'pirate', '--password', 'twelve chars min');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('CLI_BAD_ROLE');
    const shortPw = await run('user', 'add', '--org', 'Acme Powders', '--email', 'y@acme.example', '--role', 'applicant', '--password', 'short', '--json');
    expect(shortPw.code).toBe(2);
    expect(shortPw.json<{ error: { code: string } }>().error.code).toBe('IDENTITY_PASSWORD_TOO_SHORT');
    expect((await run('user', 'frobnicate')).code).toBe(2);
    expect((await run('token', 'revoke', 'ffffffffffffffff')).code).toBe(2);
  });

  it('creates a token whose text is printed once, and revokes it', async () => {
    const created = await run('token', 'create', '--org', 'Acme Powders', '--name', 'erp-sync', '--permissions', 'items:read,screening:run', '--json');
    expect(created.code).toBe(0);
    const { token, record } = created.json<{ token: string; record: { id: string; permissions: string[] } }>();
    expect(token).toMatch(/^fgt_/);
    expect(record.permissions).toEqual(['items:read', 'screening:run']);
    const listed = await run('token', 'list', '--json');
    expect(listed.stdout).not.toContain(token);
    const revoked = await run('token', 'revoke', record.id, '--json');
    expect(revoked.code).toBe(0);
    expect(revoked.json<{ revoked_at: string | null }>().revoked_at).not.toBeNull();
  });

  it('refuses a token permission the organisation kind cannot hold', async () => {
    const r = await run('token', 'create', '--org', 'Acme Powders', '--name', 'x', '--permissions', 'cases:work');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('IDENTITY_PERMISSION_NOT_ALLOWED');
  });
});
