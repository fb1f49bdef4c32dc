import { generateKeyPairSync } from 'node:crypto';
import { cpSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJsonBytes } from '../ledger/core/canonical-json.js';
import { paths } from './config.js';
import { CommandCounter } from './monotonic.js';
import { AgentStore } from './state.js';
import { tempDir } from './test-support/fixtures.js';
import { sign } from 'node:crypto';

const signingKey = generateKeyPairSync('ed25519').privateKey;
const keys = { device: 'dev_test', signingKey };
const T0 = new Date('2026-06-01T12:00:00Z');

async function fresh(extra: Partial<Parameters<typeof AgentStore.create>[1]> = {}) {
  const dir = tempDir();
  const store = await AgentStore.create(dir, { ...keys, ...extra }, T0);
  return { dir, store };
}

const reserve = (store: AgentStore, used: number) =>
  store.commit(`reserve ${used}`, (d) => {
    d.counters.tkt_1 = { used, prints: 5, exp: 2_000_000_000 };
  });

describe('the signed, hash-chained state', () => {
  it('round-trips, one journal line per version, files private', async () => {
    const { dir, store } = await fresh();
    await reserve(store, 1);
    await reserve(store, 2);
    const again = await AgentStore.open(dir, keys);
    expect(again.state.version).toBe(3);
    expect(again.state.counters.tkt_1?.used).toBe(2);
    const journal = readFileSync(paths(dir).journal, 'utf8').trim().split('\n');
    expect(journal).toHaveLength(3);
    // each line names its predecessor's hash
    expect(journal[2]!.split(' ')[2]).toBe(journal[1]!.split(' ')[1]);
    expect(statSync(paths(dir).state).mode & 0o777).toBe(0o600);
  });

  it('refuses a state edited by hand (a counter lowered), even re-serialised cleanly', async () => {
    const { dir, store } = await fresh();
    await reserve(store, 3);
    const file = JSON.parse(readFileSync(paths(dir).state, 'utf8')) as { state: { counters: Record<string, { used: number }> }; signature: string };
    file.state.counters.tkt_1!.used = 0;
    writeFileSync(paths(dir).state, JSON.stringify(file));
    await expect(AgentStore.open(dir, keys)).rejects.toMatchObject({ code: 'AGENT_STATE_INVALID' });
    // …and a state signed by another key is refused the same way
    const other = generateKeyPairSync('ed25519').privateKey;
    file.signature = sign(null, canonicalJsonBytes(file.state), other).toString('base64');
    writeFileSync(paths(dir).state, JSON.stringify(file));
    await expect(AgentStore.open(dir, keys)).rejects.toMatchObject({ code: 'AGENT_STATE_INVALID' });
  });

  it('catches an old copy of state.json put back: the journal has moved on', async () => {
    const { dir, store } = await fresh();
    await reserve(store, 1);
    const old = readFileSync(paths(dir).state);
    await reserve(store, 2);
    await reserve(store, 3);
    writeFileSync(paths(dir).state, old);
    await expect(AgentStore.open(dir, keys)).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED', details: { reason: 'journal', state_version: 2, journal_version: 4 } });
  });

  it('repairs a crash between writing the state and its journal line', async () => {
    const { dir, store } = await fresh();
    await reserve(store, 1);
    const lines = readFileSync(paths(dir).journal, 'utf8').trim().split('\n');
    writeFileSync(paths(dir).journal, `${lines.slice(0, -1).join('\n')}\n`); // the journal append never happened
    const reopened = await AgentStore.open(dir, keys);
    expect(reopened.state.counters.tkt_1?.used).toBe(1);
    expect(readFileSync(paths(dir).journal, 'utf8').trim().split('\n')).toHaveLength(2);
  });

  it('refuses a journal that does not chain', async () => {
    const { dir, store } = await fresh();
    await reserve(store, 1);
    await reserve(store, 2);
    const lines = readFileSync(paths(dir).journal, 'utf8').trim().split('\n');
    lines[1] = lines[1]!.replace(/ [0-9a-f]{64} /, ` ${'ab'.repeat(32)} `);
    writeFileSync(paths(dir).journal, `${lines.join('\n')}\n`);
    await expect(AgentStore.open(dir, keys)).rejects.toMatchObject({ code: 'AGENT_STATE_INVALID' });
  });

  it('with a hardware monotonic counter, catches a whole state directory restored from a copy — offline', async () => {
    // The counter lives outside the state directory, stepped by an external command
    // (on a device: a TPM NV counter through tpm2-tools).
    const outside = tempDir('fabgate-counter-');
    const counterFile = join(outside, 'nv-counter');
    writeFileSync(counterFile, '41');
    const js = (code: string) => [process.execPath, '-e', code];
    const counter = new CommandCounter({
      read: js(`process.stdout.write(require('fs').readFileSync(${JSON.stringify(counterFile)}, 'utf8'))`),
      increment: js(`const fs = require('fs'); const f = ${JSON.stringify(counterFile)}; fs.writeFileSync(f, String(Number(fs.readFileSync(f, 'utf8')) + 1))`),
    });
    const { dir, store } = await fresh({ counter });
    expect(store.state.monotonic).toBe(41);
    await reserve(store, 1);
    expect(readFileSync(counterFile, 'utf8')).toBe('42');
    const snapshot = join(outside, 'snapshot');
    cpSync(dir, snapshot, { recursive: true });
    await reserve(store, 2);
    await reserve(store, 3);
    // the whole directory (state, journal, outbox) is put back: the journal cannot tell, the counter can
    rmSync(dir, { recursive: true });
    cpSync(snapshot, dir, { recursive: true });
    await expect(AgentStore.open(dir, { ...keys, counter })).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED', details: { reason: 'monotonic_counter_ahead', counter: 44, state: 42 } });
    // without the counter the same restore goes unnoticed on the device (the documented residual risk)
    expect((await AgentStore.open(dir, keys)).state.counters.tkt_1?.used).toBe(1);
  });

  it('completes a counter step a crash interrupted, and refuses a counter that went back', async () => {
    const outside = tempDir('fabgate-counter-');
    const counterFile = join(outside, 'nv-counter');
    writeFileSync(counterFile, '7');
    const js = (code: string) => [process.execPath, '-e', code];
    const counter = new CommandCounter({
      read: js(`process.stdout.write(require('fs').readFileSync(${JSON.stringify(counterFile)}, 'utf8'))`),
      increment: js(`const fs = require('fs'); const f = ${JSON.stringify(counterFile)}; fs.writeFileSync(f, String(Number(fs.readFileSync(f, 'utf8')) + 1))`),
    });
    const { dir, store } = await fresh({ counter });
    await reserve(store, 1);
    writeFileSync(counterFile, '7'); // the state (at 8) was written, the step to 8 did not happen
    await AgentStore.open(dir, { ...keys, counter });
    expect(readFileSync(counterFile, 'utf8')).toBe('8');
    writeFileSync(counterFile, '3'); // a new or reset counter
    await expect(AgentStore.open(dir, { ...keys, counter })).rejects.toMatchObject({ code: 'AGENT_ROLLBACK_DETECTED', details: { reason: 'monotonic_counter_behind' } });
    writeFileSync(counterFile, 'not a number');
    await expect(AgentStore.open(dir, { ...keys, counter })).rejects.toMatchObject({ code: 'AGENT_MONOTONIC_COUNTER' });
  });
});
