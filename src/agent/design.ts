/**
 * Opening a protected design on the print host. Two forms hold G-code:
 *
 * - a Fabgate detached envelope (`.fgenv`, ENVELOPE-FORMAT.md) of bare G-code
 *   or `.bgcode`; the ticket names its envelope hash;
 * - a 3MF Secure Content package with a G-code part (a "G-code 3MF", as
 *   PrusaSlicer, Bambu Studio and OrcaSlicer write); the ticket names its
 *   manifest hash.
 *
 * The design is first copied into the agent's private spool (ciphertext only),
 * and everything — the hash the ticket is checked against, the integrity
 * checks, each decryption pass — reads that one copy, so the bytes checked are
 * the bytes printed even if the original file changes meanwhile. Plaintext
 * exists only as streams in memory.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { chmod, copyFile, mkdir, open, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { designError } from '../designs/securecontent/errors.js';
import { openEnvelopeStream, verifyEnvelopeFile, type EnvelopeSummary } from '../designs/securecontent/envelope.js';
import { inspectPackage } from '../designs/securecontent/inspect.js';
import { openProtectedPackage, type ProtectedPackage } from '../designs/securecontent/open.js';
import { paths } from './config.js';
import { PRIVATE_DIR, PRIVATE_FILE } from './durable.js';
import { AgentError } from './errors.js';

export interface DesignSource {
  kind: 'envelope' | '3mf';
  /** The hash a ticket's `design.manifest_sha256` must equal (envelope hash or manifest hash). */
  designHash: string;
  /** The G-code's name (for the file uploaded to a print host). */
  gcodeName: string;
  /** A fresh plaintext stream of the G-code; call once per pass. */
  openGcode(): Readable;
  /** Close the package and delete the spooled copy. */
  close(): Promise<void>;
}

export interface OpenDesignOptions {
  stateDir: string;
  deviceId: string;
  contentKey: KeyObject;
  contentKeySha256: string;
  /** For a 3MF with several G-code parts: which one. */
  part?: string;
  /** Producer keys a design must be signed by (none: the ticket's hash binding suffices). */
  trustedSigners?: readonly KeyObject[];
}

/** Media types and extensions that name G-code (text or PrusaSlicer binary). */
const GCODE_TYPES = /^(text\/x[.-]gcode|application\/x[.-]bgcode|application\/x[.-]gcode)$/i;
const GCODE_NAMES = /\.(gcode|gco|g|bgcode)$/i;

export async function openDesign(file: string, options: OpenDesignOptions): Promise<DesignSource> {
  const spoolDir = paths(options.stateDir).spool;
  await mkdir(spoolDir, { recursive: true, mode: PRIVATE_DIR });
  const spooled = join(spoolDir, `${randomBytes(8).toString('hex')}.design`);
  await copyFile(file, spooled, constants.COPYFILE_EXCL).catch((e: NodeJS.ErrnoException) => {
    throw new AgentError('AGENT_DESIGN_UNSUPPORTED', `cannot read the design ${file}: ${e.code ?? e.message}`);
  });
  await chmod(spooled, PRIVATE_FILE);
  try {
    const head = Buffer.alloc(5);
    const handle = await open(spooled, 'r');
    await handle.read(head, 0, 5, 0).finally(() => handle.close());
    if (head.toString('latin1') === 'FGENV') return await openEnvelope(spooled, file, options);
    if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return await open3mf(spooled, options);
    throw new AgentError('AGENT_DESIGN_UNSUPPORTED', `${basename(file)} is neither a Fabgate envelope (.fgenv) nor a 3MF package`);
  } catch (e) {
    await unlink(spooled).catch(() => undefined);
    throw e;
  }
}

async function openEnvelope(spooled: string, original: string, options: OpenDesignOptions): Promise<DesignSource> {
  const trusted = options.trustedSigners?.length ? { trustedSigners: options.trustedSigners } : {};
  // Framing, trailer digest and producer signature, without a key: this yields the envelope hash.
  const summary: EnvelopeSummary = await verifyEnvelopeFile(spooled, trusted);
  const { header } = summary;
  if (!GCODE_TYPES.test(header.contentType)) {
    throw new AgentError('AGENT_DESIGN_NO_GCODE', `the envelope holds ${header.contentType}, not G-code`, { contentType: header.contentType });
  }
  const recipient = header.recipients.find((r) => r.keyFingerprint === options.contentKeySha256);
  if (!recipient) throw designError('DESIGN_CONSUMER_NOT_FOUND', 'the envelope is not wrapped to this device’s content key', { keyFingerprint: options.contentKeySha256 });
  const name = header.name && GCODE_NAMES.test(header.name) ? header.name : `${basename(original).replace(/\.fgenv$/i, '')}`;
  return {
    kind: 'envelope',
    designHash: summary.envelopeHash,
    gcodeName: name,
    openGcode() {
      return openEnvelopeStream(createReadStream(spooled, { highWaterMark: 256 * 1024 }), { consumerId: recipient.consumerId, privateKey: options.contentKey, ...trusted }, (h) => {
        // The same header as verified, so the same content key, nonce and (by the trailer) chunks.
        if (h.headerHash !== summary.headerHash) throw new AgentError('AGENT_GCODE_CHANGED', 'the spooled envelope changed between verification and decryption');
      });
    },
    async close() {
      await unlink(spooled).catch(() => undefined);
    },
  };
}

async function open3mf(spooled: string, options: OpenDesignOptions): Promise<DesignSource> {
  const report = await inspectPackage({ path: spooled });
  const consumer =
    report.keystore?.consumers.find((c) => c.keyFingerprint === options.contentKeySha256) ?? report.keystore?.consumers.find((c) => c.consumerId === options.deviceId);
  if (report.keystore && !consumer) throw designError('DESIGN_CONSUMER_NOT_FOUND', 'the package names neither this device nor its content key as a consumer', { deviceId: options.deviceId });
  const gcodeParts = report.parts.filter((p) => (p.contentType !== undefined && GCODE_TYPES.test(p.contentType)) || GCODE_NAMES.test(p.name));
  let part: string;
  if (options.part !== undefined) {
    const wanted = options.part.startsWith('/') ? options.part : `/${options.part}`;
    const found = gcodeParts.find((p) => p.name.toLowerCase() === wanted.toLowerCase());
    if (!found) throw new AgentError('AGENT_DESIGN_NO_GCODE', `the package has no G-code part ${wanted}`, { parts: gcodeParts.map((p) => p.name) });
    part = found.name;
  } else if (gcodeParts.length === 1) {
    part = gcodeParts[0]!.name;
  } else {
    throw new AgentError(
      'AGENT_DESIGN_NO_GCODE',
      gcodeParts.length === 0 ? 'the package holds no G-code part (a model must be sliced before it can be printed)' : `the package holds ${gcodeParts.length} G-code parts: choose one with --part`,
      { parts: gcodeParts.map((p) => p.name) },
    );
  }
  const pkg: ProtectedPackage = await openProtectedPackage(
    { path: spooled },
    {
      consumerId: consumer?.consumerId ?? options.deviceId,
      ...(consumer?.keyId !== undefined ? { keyId: consumer.keyId } : {}),
      privateKey: options.contentKey,
      requireManifest: true, // the ticket names the manifest hash: a package without one cannot be bound
      ...(options.trustedSigners?.length ? { trustedSigners: options.trustedSigners } : {}),
    },
  );
  const info = pkg.parts.find((p) => p.name === part);
  if (info && !info.accessible) {
    await pkg.close();
    throw designError('DESIGN_CONSUMER_NOT_FOUND', `this device holds no access right for ${part}`, { part });
  }
  return {
    kind: '3mf',
    designHash: pkg.manifest.hash!,
    gcodeName: basename(part),
    openGcode: () => pkg.openPart(part),
    async close() {
      await pkg.close();
      await unlink(spooled).catch(() => undefined);
    },
  };
}
