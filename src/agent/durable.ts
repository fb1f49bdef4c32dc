/**
 * Durable files for the agent's state: a write is either wholly there after a
 * crash or power cut, or not at all. The pattern is the POSIX one: write a
 * temporary file in the same directory, fsync it, rename it over the target
 * (atomic on one file system), then fsync the directory so the rename itself
 * survives. The print counter depends on this: it is incremented with such a
 * write before a print starts, so a crash can never yield a free print.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentError } from './errors.js';

/** Private files: owner read/write only. */
export const PRIVATE_FILE = 0o600;
/** Private directories: owner only. */
export const PRIVATE_DIR = 0o700;

/** Replace `path` with `data` atomically and durably (mode 0600 unless given). */
export async function writeFileDurable(path: string, data: Uint8Array | string, mode = PRIVATE_FILE): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.chmod(mode); // the umask may have narrowed it further, never widened: set it exactly
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
}

/** Append one line to a journal file and fsync it. */
export async function appendDurable(path: string, line: string, mode = PRIVATE_FILE): Promise<void> {
  const handle = await open(path, 'a', mode);
  try {
    await handle.appendFile(line.endsWith('\n') ? line : `${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync a directory, so that renames and unlinks in it are durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Remove a file and make the removal durable. */
export async function unlinkDurable(path: string): Promise<void> {
  await unlink(path);
  await syncDirectory(dirname(path));
}

/**
 * An exclusive lock on the state directory for one agent process: a lock file
 * created with O_EXCL holding the owner's pid. A lock left by a process that
 * no longer runs is taken over (the agent was killed); a live owner makes the
 * caller fail with `AGENT_BUSY` rather than interleave two jobs' counters.
 */
export async function acquireLock(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, 'wx', PRIVATE_FILE);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return async () => {
        await unlink(path).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = Number.parseInt((await readFile(path, 'utf8').catch(() => '')).trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new AgentError('AGENT_BUSY', `another agent process (pid ${owner}) is using ${dir}`, { pid: owner });
      }
      if (owner === process.pid) throw new AgentError('AGENT_BUSY', `this process already holds ${dir}`, { pid: owner });
      await unlink(path).catch(() => undefined);
    }
  }
  throw new AgentError('AGENT_BUSY', `could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
