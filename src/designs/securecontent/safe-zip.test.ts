import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../shared/test-support/shared-data.js';
import { isDesignError, type DesignErrorCode } from './errors.js';
import { SafeZip } from './safe-zip.js';
import { bufferSink, craftZip } from './test-support/zips.js';
import { ZipWriter } from './zip-writer.js';

async function openError(bytes: Buffer, limits = {}): Promise<{ code: DesignErrorCode; reason: unknown }> {
  try {
    const zip = await SafeZip.open({ buffer: bytes }, limits);
    await zip.close();
  } catch (e) {
    if (isDesignError(e)) return { code: e.code, reason: (e.details as { reason?: unknown } | undefined)?.reason };
    throw e;
  }
  throw new Error('expected the archive to be refused');
}

async function readError(bytes: Buffer, name: string, limits = {}): Promise<{ code: DesignErrorCode; reason: unknown; produced: number }> {
  const zip = await SafeZip.open({ buffer: bytes }, limits);
  let produced = 0;
  try {
    for await (const chunk of zip.openEntry(name)) produced += (chunk as Buffer).length;
  } catch (e) {
    if (isDesignError(e)) return { code: e.code, reason: (e.details as { reason?: unknown } | undefined)?.reason, produced };
    throw e;
  } finally {
    await zip.close();
  }
  throw new Error('expected reading the entry to fail');
}

const MiB = 1024 * 1024;

describe('SafeZip: zip bombs', () => {
  it('refuses an honest entry whose declared ratio is a bomb, before inflating it', async () => {
    const bomb = craftZip([{ name: 'a.bin', content: Buffer.alloc(64 * MiB), method: 8 }]);
    expect(bomb.length).toBeLessThan(200 * 1024);
    expect(await openError(bomb)).toEqual({ code: 'DESIGN_ARCHIVE_TOO_LARGE', reason: 'ratio' });
  });

  it('stops an entry that inflates past the size its header declares, without inflating the rest', async () => {
    const data = deflateRawSync(Buffer.alloc(64 * MiB));
    // The header claims a modest 2 MiB at a harmless ratio; the data holds 64 MiB of zeros.
    const liar = craftZip([{ name: 'a.bin', content: Buffer.alloc(64 * MiB), method: 8, declaredSize: 2 * MiB, declaredCompressedSize: data.length }]);
    const err = await readError(liar, '/a.bin', { maxCompressionRatio: 100_000 });
    expect(err.code).toBe('DESIGN_ARCHIVE_TOO_LARGE');
    expect(err.reason).toBe('inflates-past-declared-size');
    expect(err.produced).toBeLessThanOrEqual(2 * MiB);
  });

  it('stops an entry whose real inflation ratio passes the limit while its headers claim a harmless one', async () => {
    // 32 MiB of zeros deflate to ~32 KiB; 1 MiB of padding makes the declared ratio about 31:1.
    const liar = craftZip([{ name: 'a.bin', content: Buffer.alloc(32 * MiB), method: 8, padding: Buffer.alloc(MiB) }]);
    const err = await readError(liar, '/a.bin', { maxCompressionRatio: 50 });
    expect(err).toMatchObject({ code: 'DESIGN_ARCHIVE_TOO_LARGE', reason: 'ratio' });
    expect(err.produced).toBeLessThan(32 * MiB);
  });

  it('enforces the per-entry and total size limits and the entry count', async () => {
    const three = craftZip([1, 2, 3].map((i) => ({ name: `p${i}.bin`, content: Buffer.alloc(1000, i) })));
    expect(await openError(three, { maxEntryBytes: 999 })).toEqual({ code: 'DESIGN_ARCHIVE_TOO_LARGE', reason: 'entry-size' });
    expect(await openError(three, { maxTotalBytes: 2500 })).toEqual({ code: 'DESIGN_ARCHIVE_TOO_LARGE', reason: 'total-size' });
    expect(await openError(three, { maxEntries: 2 })).toEqual({ code: 'DESIGN_ARCHIVE_TOO_LARGE', reason: 'entry-count' });
  });

  it('refuses overlapping entries (the non-recursive zip bomb)', async () => {
    // Entry b's local header and data sit inside entry a's data, as in Fifield's overlapping bomb.
    const inner = craftZip([{ name: 'b.bin', content: Buffer.alloc(1000, 1) }]).subarray(0, 30 + 5 + 1000);
    const overlap = craftZip([
      { name: 'a.bin', content: inner },
      { name: 'b.bin', content: Buffer.alloc(1000, 1), offsetOverride: 30 + 5 },
    ]);
    expect(await openError(overlap)).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason: 'overlapping-entries' });
  });
});

describe('SafeZip: hostile names', () => {
  const cases: Array<[string, string | Buffer, string]> = [
    ['parent traversal', '../evil.model', 'path-traversal'],
    ['nested traversal', '3D/../../evil.model', 'path-traversal'],
    ['absolute path', '/etc/passwd', 'absolute-path'],
    ['backslash traversal', '..\\evil.model', 'backslash'],
    ['drive letter', 'C:/Windows/evil.model', 'drive-letter'],
    ['dot segment', '3D/./a.model', 'dot-segment'],
    ['empty segment', '3D//a.model', 'empty-segment'],
    ['control character', '3D/a\u0001.model', 'control-character'],
    ['invalid UTF-8', Buffer.from([0x33, 0x44, 0x2f, 0xff, 0xfe]), 'name-encoding'],
  ];
  for (const [what, name, reason] of cases) {
    it(`refuses ${what}`, async () => {
      expect(await openError(craftZip([{ name, content: Buffer.from('x') }]))).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason });
    });
  }

  it('refuses duplicate entries, exact and case-insensitive (OPC part names)', async () => {
    expect(await openError(craftZip([{ name: '3D/a.model' }, { name: '3D/a.model' }]))).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason: 'duplicate' });
    expect(await openError(craftZip([{ name: '3D/a.model' }, { name: '3d/A.MODEL' }]))).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason: 'duplicate' });
  });

  it('refuses a name that is both a file and a folder', async () => {
    expect(await openError(craftZip([{ name: '3D' }, { name: '3D/a.model' }]))).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason: 'name-prefix-conflict' });
  });

  it('refuses a local header that names another file than the central directory', async () => {
    expect(await openError(craftZip([{ name: 'a.model', localName: 'b.model', content: Buffer.from('x') }]))).toEqual({
      code: 'DESIGN_ARCHIVE_UNSAFE',
      reason: 'header-mismatch',
    });
  });

  it('refuses symbolic links and ZIP encryption', async () => {
    const link = craftZip([{ name: 'a.model', content: Buffer.from('/etc/passwd'), versionMadeBy: 3 << 8, externalAttributes: (0o120777 << 16) >>> 0 }]);
    expect(await openError(link)).toEqual({ code: 'DESIGN_ARCHIVE_UNSAFE', reason: 'symlink' });
    expect(await openError(craftZip([{ name: 'a.model', content: Buffer.from('x'), flags: 0x801 }]))).toEqual({ code: 'DESIGN_ARCHIVE_MALFORMED', reason: 'zip-encryption' });
  });
});

describe('SafeZip: truncation and corruption', () => {
  const box = readFileSync(sharedData('3mf', '3mf-samples', 'examples', 'core', 'box.3mf'));

  it('refuses a truncated archive', async () => {
    for (const keep of [10, Math.floor(box.length / 2), box.length - 10]) {
      expect((await openError(box.subarray(0, keep))).code).toBe('DESIGN_ARCHIVE_MALFORMED');
    }
  });

  it('refuses something that is not a ZIP', async () => {
    expect(await openError(Buffer.from('solid cube\nendsolid cube\n'))).toEqual({ code: 'DESIGN_ARCHIVE_MALFORMED', reason: 'not-a-zip' });
  });

  it('detects a corrupted entry by its CRC-32 and a short entry by its size', async () => {
    const bad = craftZip([{ name: 'a.model', content: Buffer.from('<model/>'), crc: 12345 }]);
    expect(await readError(bad, '/a.model')).toMatchObject({ code: 'DESIGN_ARCHIVE_MALFORMED', reason: 'crc' });
    const short = craftZip([{ name: 'a.model', content: Buffer.from('<model/>'), method: 8, declaredSize: 50 }]);
    expect(await readError(short, '/a.model')).toMatchObject({ code: 'DESIGN_ARCHIVE_MALFORMED', reason: 'size-mismatch' });
  });

  it('reads a real 3MF from a file with positional reads', async () => {
    const zip = await SafeZip.open({ path: sharedData('3mf', '3mf-samples', 'examples', 'core', 'box.3mf') });
    try {
      expect(zip.entries.map((e) => e.partName).sort()).toEqual(['/3D/3dmodel.model', '/[Content_Types].xml', '/_rels/.rels']);
      const model = await zip.readEntry('/3d/3DMODEL.model', 1 << 20);
      expect(model.toString('utf8')).toContain('<model');
    } finally {
      await zip.close();
    }
  });
});

describe('ZipWriter round trip', () => {
  it('writes what SafeZip reads back, stored and deflated, in normal and ZIP64 form', async () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ dir: name, file: name, data: fc.uint8Array({ maxLength: 5000 }), compress: fc.boolean() }), {
          minLength: 1,
          maxLength: 6,
          selector: (e) => `${e.dir}/${e.file}`.toLowerCase(),
        }),
        fc.boolean(),
        async (entries, forceZip64) => {
          // A folder name may not also be a file name.
          const files = entries.filter((e) => !entries.some((o) => o.dir.toLowerCase() === `${e.dir}`.toLowerCase() + '/' + e.file.toLowerCase()));
          const { sink, bytes } = bufferSink();
          const writer = new ZipWriter(sink, { forceZip64 });
          for (const e of files) await writer.addBuffer(`d-${e.dir}/${e.file}`, e.data, { compress: e.compress });
          await writer.finish();
          const zip = await SafeZip.open({ buffer: bytes() });
          try {
            expect(zip.entries.length).toBe(files.length);
            for (const e of files) expect(await zip.readEntry(`/d-${e.dir}/${e.file}`, 1 << 20)).toEqual(Buffer.from(e.data));
          } finally {
            await zip.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
