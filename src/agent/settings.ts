/**
 * Changing what the agent trusts and which printers it drives, after
 * enrolment: issuer keys and the log key (out of band, from files the
 * operator checked), and printer connections.
 */
import { readFile } from 'node:fs/promises';
import { parseVerifierKey } from '../ledger/core/keys.js';
import { issuerPublicKey } from '../tickets/ticket.js';
import { withAgent, type AgentContext } from './agent.js';
import { writeConfig, type AgentConfig, type AgentConfigInput, type PrinterKind } from './config.js';
import { AgentError } from './errors.js';
import type { IssuerJwk } from './server-client.js';

/**
 * Issuer keys from a file: a JWK set (`{"keys": [{"kty":"OKP","crv":"Ed25519","x","kid"}]}`,
 * what `GET /api/tickets/issuer-keys` serves) or a single JWK with its kid.
 */
export async function readIssuerKeys(file: string): Promise<IssuerJwk[]> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new AgentError('AGENT_CONFIG_INVALID', `${file} is not a JSON Web Key set: ${(e as Error).message}`);
  }
  const list = Array.isArray((json as { keys?: unknown }).keys) ? (json as { keys: unknown[] }).keys : [json];
  const keys = list.map((k, i) => {
    const o = k as Record<string, unknown>;
    if (!o || o.kty !== 'OKP' || o.crv !== 'Ed25519' || typeof o.x !== 'string' || typeof o.kid !== 'string' || o.kid.length === 0) {
      throw new AgentError('AGENT_CONFIG_INVALID', `${file}: key ${i} is not an Ed25519 JWK with a kid`);
    }
    const jwk = { kty: 'OKP' as const, crv: 'Ed25519' as const, x: o.x };
    issuerPublicKey(jwk); // refuses a key that does not load
    return { kid: o.kid, jwk };
  });
  if (keys.length === 0) throw new AgentError('AGENT_CONFIG_INVALID', `${file} holds no key`);
  return keys;
}

/** A log verifier key from a file (one C2SP verifier-key line, as `GET /log/key` serves). */
export async function readLogKey(file: string): Promise<string> {
  const text = (await readFile(file, 'utf8')).trim();
  try {
    parseVerifierKey(text);
  } catch (e) {
    throw new AgentError('AGENT_CONFIG_INVALID', `${file} is not a log verifier key: ${(e as Error).message}`);
  }
  return text;
}

export interface TrustChange {
  issuerKeys?: IssuerJwk[];
  logKey?: string;
  logOrigin?: string;
  requireLogProof?: boolean;
  designSigners?: string[];
}

export async function updateTrust(ctx: AgentContext, change: TrustChange): Promise<AgentConfig> {
  return withAgent(ctx, async (agent) => {
    const next: AgentConfigInput = {
      ...agent.config,
      ...(change.issuerKeys ? { issuer_keys: change.issuerKeys } : {}),
      ...(change.logKey ? { log: { verifier_key: change.logKey, ...(change.logOrigin ? { origin: change.logOrigin } : {}) } } : {}),
      ...(change.requireLogProof !== undefined ? { require_log_proof: change.requireLogProof } : {}),
      ...(change.designSigners ? { design_signers: change.designSigners } : {}),
    };
    return writeConfig(ctx.dir, next);
  });
}

export async function configurePrinter(ctx: AgentContext, kind: PrinterKind, settings: Record<string, unknown>, makeDefault: boolean): Promise<AgentConfig> {
  return withAgent(ctx, async (agent) => {
    const printers = { ...agent.config.printers, [kind]: { ...(agent.config.printers[kind] ?? {}), ...settings }, ...(makeDefault ? { default: kind } : {}) };
    return writeConfig(ctx.dir, { ...agent.config, printers });
  });
}
