/**
 * `fabgate design …`: protect, open and inspect 3MF Secure Content packages,
 * and seal or unseal bare G-code and STL in the detached envelope. No database
 * is needed. Exit codes: 0 done, 1 an integrity failure (tag, signature,
 * digest, key unwrap), 2 unusable input (bad file, bad key, bad usage).
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import type { Command } from 'commander';
import { emit, type CliIO } from '../cli/io.js';
import type { CommandRegistrar } from '../cli/program.js';
import { FabgateError } from '../shared/errors.js';
import {
  inspectPackage,
  isEnvelope,
  loadEd25519PrivateKey,
  loadEd25519PublicKey,
  loadRsaPrivateKey,
  loadRsaPublicKey,
  openEnvelopeFile,
  openProtectedPackage,
  protectFile,
  rewrapFile,
  sealEnvelopeFile,
  verifyEnvelopeFile,
  type ConsumerSpec,
} from './securecontent/index.js';

const collect = (value: string, previous: string[]) => [...previous, value];

function usage(message: string): FabgateError {
  return new FabgateError('DESIGN_CLI_USAGE', message, 'invalid_input');
}

function readKeyFile(io: CliIO, path: string, what: string): Buffer {
  try {
    return readFileSync(resolve(io.cwd, path));
  } catch (e) {
    throw new FabgateError('DESIGN_KEY_INVALID', `cannot read ${what} '${path}': ${(e as Error).message}`, 'invalid_input');
  }
}

/** Pairs repeated --consumer-id and --consumer-key (and optional --key-id) options in order. */
function consumersFrom(io: CliIO, ids: string[], keys: string[], keyIds: string[] = []): ConsumerSpec[] {
  if (ids.length === 0) throw usage('give at least one --consumer-id with its --consumer-key');
  if (ids.length !== keys.length) throw usage(`${ids.length} --consumer-id but ${keys.length} --consumer-key: give one key per consumer, in the same order`);
  if (keyIds.length > ids.length) throw usage('more --key-id than --consumer-id');
  return ids.map((consumerId, i) => ({
    consumerId,
    ...(keyIds[i] ? { keyId: keyIds[i] } : {}),
    publicKey: loadRsaPublicKey(readKeyFile(io, keys[i]!, 'the consumer key'), `the key of consumer '${consumerId}'`),
  }));
}

function trustedFrom(io: CliIO, paths: string[]): KeyObject[] | undefined {
  return paths.length === 0 ? undefined : paths.map((p) => loadEd25519PublicKey(readKeyFile(io, p, 'the trusted signer key')));
}

function signingKeyFrom(io: CliIO, path: string | undefined): KeyObject | undefined {
  return path === undefined ? undefined : loadEd25519PrivateKey(readKeyFile(io, path, 'the signing key'));
}

function oaepFrom(value: string | undefined): 'sha256' | 'sha1' {
  if (value === undefined || value === 'sha256') return 'sha256';
  if (value === 'sha1') return 'sha1';
  throw usage(`--oaep must be sha256 or sha1, not ${value}`);
}

async function startsLikeEnvelope(path: string): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(8);
    await handle.read(head, 0, 8, 0);
    return isEnvelope(head);
  } finally {
    await handle.close();
  }
}

const CONTENT_TYPES: Record<string, string> = { gcode: 'text/x.gcode', gco: 'text/x.gcode', g: 'text/x.gcode', stl: 'model/stl', '3mf': 'model/3mf' };

export const registerDesignCommands: CommandRegistrar = (program: Command, { io }) => {
  const design = program.command('design').description('Protected design files: 3MF Secure Content and the detached envelope');

  design
    .command('protect <input>')
    .description('Encrypt a plain 3MF for one or more consumers (RSA-OAEP + AES-256-GCM) with a signed Fabgate manifest')
    .option('--consumer-id <id>', 'consumer id (repeatable, paired in order with --consumer-key)', collect, [])
    .option('--consumer-key <pem>', "consumer's RSA public key, PEM (repeatable)", collect, [])
    .option('--key-id <id>', 'optional keyid per consumer, in the same order (repeatable)', collect, [])
    .option('--compress', 'raw-DEFLATE parts before encryption')
    .option('--oaep <hash>', 'OAEP digest and MGF1 hash: sha256 (default) or sha1')
    .option('--signing-key <pem>', 'Ed25519 private key that signs the manifest')
    .option('--strict', 'refuse what lib3mf only warns about')
    .requiredOption('--out <file>', 'where to write the protected 3MF')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { consumerId: string[]; consumerKey: string[]; keyId: string[]; compress?: boolean; oaep?: string; signingKey?: string; strict?: boolean; out: string; json?: boolean }) => {
      const consumers = consumersFrom(io, opts.consumerId, opts.consumerKey, opts.keyId);
      const signingKey = signingKeyFrom(io, opts.signingKey);
      const result = await protectFile(resolve(io.cwd, input), resolve(io.cwd, opts.out), {
        consumers,
        oaepHash: oaepFrom(opts.oaep),
        compress: opts.compress === true,
        ...(signingKey ? { signingKey } : {}),
        strict: opts.strict === true,
      });
      emit(io, !!opts.json, { out: opts.out, ...result }, (out) => {
        out(`protected ${input} -> ${opts.out} (${result.layout} layout)`);
        out(`encrypted: ${result.encryptedParts.join(', ')}`);
        out(`consumers: ${consumers.map((c) => c.consumerId).join(', ')}`);
        out(`manifest hash: ${result.manifestHash} (${result.signed ? 'signed' : 'UNSIGNED: give --signing-key'})`);
        for (const w of result.warnings) out(`warning: ${w}`);
      });
    });

  design
    .command('open <input>')
    .description('Verify and decrypt a protected 3MF with a consumer key, writing its parts to a folder')
    .requiredOption('--consumer-id <id>', 'the consumer to act as')
    .requiredOption('--key <pem>', "the consumer's RSA private key, PEM")
    .option('--key-id <id>', "the consumer's keyid, when it has several keys")
    .option('--trusted-signer <pem>', 'Ed25519 public key the manifest must be signed by (repeatable)', collect, [])
    .option('--require-manifest', 'refuse packages without a Fabgate manifest')
    .requiredOption('--out-dir <dir>', 'folder to write the parts to (created; must be empty)')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { consumerId: string; key: string; keyId?: string; trustedSigner: string[]; requireManifest?: boolean; outDir: string; json?: boolean }) => {
      const privateKey = loadRsaPrivateKey(readKeyFile(io, opts.key, 'the private key'));
      const trustedSigners = trustedFrom(io, opts.trustedSigner);
      const pkg = await openProtectedPackage(
        { path: resolve(io.cwd, input) },
        {
          consumerId: opts.consumerId,
          privateKey,
          ...(opts.keyId ? { keyId: opts.keyId } : {}),
          ...(trustedSigners ? { trustedSigners } : {}),
          requireManifest: opts.requireManifest === true,
        },
      );
      try {
        const { written, locked } = await pkg.extractTo(resolve(io.cwd, opts.outDir));
        emit(io, !!opts.json, { outDir: opts.outDir, manifest: pkg.manifest, written, locked, warnings: pkg.warnings }, (out) => {
          out(`manifest: ${pkg.manifest.status}${pkg.manifest.hash ? ` ${pkg.manifest.hash}` : ''}${pkg.manifest.signerKeyId ? ` signed by ${pkg.manifest.signerKeyId}` : ''}`);
          out(`wrote ${written.length} part(s) to ${opts.outDir}`);
          for (const l of locked) out(`locked (no access right for this consumer): ${l}`);
          for (const w of pkg.warnings) out(`warning: ${w}`);
        });
      } finally {
        await pkg.close();
      }
    });

  design
    .command('inspect <input>')
    .description('Show parts, consumers, algorithms and manifest status of a protected 3MF or envelope, without keys')
    .option('--trusted-signer <pem>', 'Ed25519 public key the manifest must be signed by (repeatable)', collect, [])
    .option('--strict', 'refuse what lib3mf only warns about')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { trustedSigner: string[]; strict?: boolean; json?: boolean }) => {
      const path = resolve(io.cwd, input);
      const trustedSigners = trustedFrom(io, opts.trustedSigner);
      if (await startsLikeEnvelope(path)) {
        const summary = await verifyEnvelopeFile(path, trustedSigners ? { trustedSigners } : {});
        const { header } = summary;
        emit(io, !!opts.json, { kind: 'envelope', ...summary }, (out) => {
          out(`envelope: ${header.contentType}${header.name ? ` (${header.name})` : ''}, ${summary.plaintextLength} bytes in ${header.chunkSize}-byte chunks`);
          for (const r of header.recipients) out(`recipient: ${r.consumerId} ${r.wrap} key ${r.keyFingerprint}`);
          out(`signature: ${summary.signerKeyId ? `verified, key ${summary.signerKeyId}` : 'none'}`);
          out(`envelope hash: ${summary.envelopeHash}`);
        });
        return;
      }
      const report = await inspectPackage({ path }, { strict: opts.strict === true, ...(trustedSigners ? { trustedSigners } : {}) });
      emit(io, !!opts.json, { kind: '3mf', ...report }, (out) => {
        out(`root model: ${report.startPart}`);
        for (const p of report.parts) out(`${p.encrypted ? 'encrypted' : 'plain    '} ${p.name} (${p.storedSize} bytes${p.compression ? `, ${p.compression}` : ''})`);
        for (const c of report.keystore?.consumers ?? []) out(`consumer ${c.index}: ${c.consumerId}${c.keyId ? ` keyid ${c.keyId}` : ''}${c.keyFingerprint ? ` key ${c.keyFingerprint}` : ''}`);
        const wraps = new Set(report.keystore?.groups.flatMap((g) => g.accessRights.map((a) => `${a.wrappingAlgorithm} (${a.oaepHash ?? 'unsupported hash'})`)));
        for (const w of wraps) out(`wrapping: ${w}`);
        out(`manifest: ${report.manifest.status}${report.manifest.hash ? ` ${report.manifest.hash}` : ''}${report.manifest.error ? ` ${report.manifest.error.code}: ${report.manifest.error.message}` : ''}`);
        for (const f of report.findings) out(`${f.severity}: ${f.message}`);
      });
      if (report.manifest.status === 'invalid') throw new FabgateError(report.manifest.error!.code, report.manifest.error!.message, 'integrity', report.manifest.error!.details);
    });

  design
    .command('rewrap <input>')
    .description('Wrap the content keys of a protected 3MF for a new set of consumers (release, key rotation, revocation)')
    .requiredOption('--unwrap-consumer-id <id>', 'a consumer already in the package whose key unwraps the content keys')
    .requiredOption('--unwrap-key <pem>', "that consumer's RSA private key")
    .option('--consumer-id <id>', 'new consumer id (repeatable, paired with --consumer-key)', collect, [])
    .option('--consumer-key <pem>', "new consumer's RSA public key (repeatable)", collect, [])
    .option('--key-id <id>', 'optional keyid per new consumer (repeatable)', collect, [])
    .option('--oaep <hash>', 'sha256 (default) or sha1')
    .option('--signing-key <pem>', 'Ed25519 private key that signs the new manifest')
    .requiredOption('--out <file>', 'where to write the re-wrapped 3MF')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { unwrapConsumerId: string; unwrapKey: string; consumerId: string[]; consumerKey: string[]; keyId: string[]; oaep?: string; signingKey?: string; out: string; json?: boolean }) => {
      const signingKey = signingKeyFrom(io, opts.signingKey);
      const result = await rewrapFile(resolve(io.cwd, input), resolve(io.cwd, opts.out), {
        consumers: consumersFrom(io, opts.consumerId, opts.consumerKey, opts.keyId),
        unwrapWith: { consumerId: opts.unwrapConsumerId, privateKey: loadRsaPrivateKey(readKeyFile(io, opts.unwrapKey, 'the private key')) },
        oaepHash: oaepFrom(opts.oaep),
        ...(signingKey ? { signingKey } : {}),
      });
      emit(io, !!opts.json, { out: opts.out, ...result }, (out) => out(`re-wrapped ${input} -> ${opts.out}; manifest hash ${result.manifestHash}`));
    });

  design
    .command('seal <input>')
    .description('Protect a bare G-code or STL file in a detached Fabgate envelope')
    .option('--consumer-id <id>', 'recipient id (repeatable, paired with --consumer-key)', collect, [])
    .option('--consumer-key <pem>', "recipient's RSA public key (repeatable)", collect, [])
    .option('--content-type <type>', 'media type of the content (default from the file extension)')
    .option('--oaep <hash>', 'sha256 (default) or sha1')
    .option('--signing-key <pem>', 'Ed25519 private key that signs the envelope')
    .requiredOption('--out <file>', 'where to write the envelope')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { consumerId: string[]; consumerKey: string[]; contentType?: string; oaep?: string; signingKey?: string; out: string; json?: boolean }) => {
      const extension = basename(input).split('.').pop()?.toLowerCase() ?? '';
      const contentType = opts.contentType ?? CONTENT_TYPES[extension] ?? 'application/octet-stream';
      const signingKey = signingKeyFrom(io, opts.signingKey);
      const summary = await sealEnvelopeFile(resolve(io.cwd, input), resolve(io.cwd, opts.out), {
        recipients: consumersFrom(io, opts.consumerId, opts.consumerKey),
        contentType,
        name: basename(input),
        oaepHash: oaepFrom(opts.oaep),
        ...(signingKey ? { signingKey } : {}),
      });
      emit(io, !!opts.json, { out: opts.out, ...summary }, (out) => {
        out(`sealed ${input} -> ${opts.out} (${summary.plaintextLength} bytes, ${contentType})`);
        out(`envelope hash: ${summary.envelopeHash} (${summary.signerKeyId ? 'signed' : 'UNSIGNED: give --signing-key'})`);
      });
    });

  design
    .command('unseal <input>')
    .description('Verify and decrypt a Fabgate envelope (the signature is checked before any byte is written)')
    .requiredOption('--consumer-id <id>', 'the recipient to act as')
    .requiredOption('--key <pem>', "the recipient's RSA private key")
    .option('--trusted-signer <pem>', 'Ed25519 public key the envelope must be signed by (repeatable)', collect, [])
    .requiredOption('--out <file>', 'where to write the plaintext')
    .option('--json', 'print the result as JSON')
    .action(async (input: string, opts: { consumerId: string; key: string; trustedSigner: string[]; out: string; json?: boolean }) => {
      const trustedSigners = trustedFrom(io, opts.trustedSigner);
      const summary = await openEnvelopeFile(resolve(io.cwd, input), resolve(io.cwd, opts.out), {
        consumerId: opts.consumerId,
        privateKey: loadRsaPrivateKey(readKeyFile(io, opts.key, 'the private key')),
        ...(trustedSigners ? { trustedSigners } : {}),
      });
      emit(io, !!opts.json, { out: opts.out, ...summary }, (out) => {
        out(`unsealed ${input} -> ${opts.out} (${summary.plaintextLength} bytes)`);
        out(`signature: ${summary.signerKeyId ? `verified, key ${summary.signerKeyId}` : 'none'}; envelope hash ${summary.envelopeHash}`);
      });
    });
};
