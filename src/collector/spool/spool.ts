import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { LeakwatchError } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import { decodeSegment, encodeRecord, type SpoolRecord } from './spool-record';

export interface SpoolOptions {
  dir: string;
  /** Past this many bytes on disk nothing more is spooled: the collector stops acknowledging. */
  budgetBytes: number;
  /** Past this the collector refuses new snapshots first (default 80% of the budget). */
  softLimitBytes?: number;
  /** A segment is sealed (and becomes replayable) once it holds this much (default 4 MiB). */
  segmentBytes?: number;
  log: Logger;
}

/** Where the spool stands against its budget: snapshots are refused from `soft`, data from `full`. */
export type SpoolLevel = 'ok' | 'soft' | 'full';

export interface SealedSegment {
  name: string;
  records: SpoolRecord[];
}

const SEGMENT = /^seg-(\d{12})\.lws$/;
const segmentName = (n: number) => `seg-${String(n).padStart(12, '0')}.lws`;

/** A new or removed file is durable only once its directory entry is: fsync the directory too. */
async function syncDir(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

const OWNER_FILE = 'owner.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * One collector per spool directory: two would replay (and delete) each other's segments. Several
 * collectors writing to one ClickHouse server from one working directory is a real setup, so the
 * second is told to pick its own directory; an owner that died (kill -9) is taken over.
 */
async function takeOwnership(dir: string): Promise<void> {
  const file = path.join(dir, OWNER_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.writeFile(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number((await fsp.readFile(file, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
      throw new LeakwatchError('LW_ERR_CONFIG', `spool directory ${dir} is in use by process ${owner}; give this collector its own --spool-dir`);
    }
    await fsp.rm(file, { force: true });
  }
  throw new LeakwatchError('LW_ERR_CONFIG', `cannot take the spool directory ${dir}`);
}

/**
 * The on-disk spool: batches the store could not take, kept in append-only segment files until a
 * replayer has stored them. `append` resolves only after the bytes are fsynced, so an entry may be
 * acknowledged as soon as it is spooled (durable = acked). Segments are replayed oldest first; the
 * one being appended to is sealed when it is full or when the replayer has caught up to it.
 */
export function createSpool(options: SpoolOptions) {
  const { dir, log, budgetBytes } = options;
  const softLimitBytes = options.softLimitBytes ?? Math.floor(budgetBytes * 0.8);
  const segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
  /** Sealed segments, oldest first, with their sizes. */
  const sealed: { name: string; bytes: number }[] = [];
  let head: { name: string; handle: fsp.FileHandle; bytes: number } | undefined;
  let nextNumber = 1;
  let usedBytes = 0;
  /** Appends and seals run one at a time, in call order. */
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function quarantine(name: string, buf: Buffer, validBytes: number, damage: string): Promise<void> {
    const qdir = path.join(dir, 'quarantine');
    await fsp.mkdir(qdir, { recursive: true });
    await fsp.writeFile(path.join(qdir, `${name}.at-${validBytes}.bad`), buf.subarray(validBytes));
    const file = path.join(dir, name);
    if (validBytes === 0) await fsp.rm(file, { force: true });
    else await fsp.truncate(file, validBytes);
    await syncDir(dir);
    log.warn(`LW_ERR_SPOOL_CORRUPT: spool segment ${name}: ${damage}; ${buf.length - validBytes} bytes moved to ${qdir}, the ${validBytes} bytes before it replay`);
  }

  async function sealHead(): Promise<void> {
    if (!head) return;
    const { name, handle, bytes } = head;
    head = undefined;
    await handle.close();
    if (bytes > 0) sealed.push({ name, bytes });
    else await fsp.rm(path.join(dir, name), { force: true });
  }

  return {
    dir,
    /**
     * Reads what an earlier process left: every segment becomes sealed (replayable). A torn or
     * corrupt tail is moved to `quarantine/` (LW_ERR_SPOOL_CORRUPT, logged) and the valid records
     * before it stay, so a damaged file never stops the collector from starting.
     */
    async open(): Promise<void> {
      await fsp.mkdir(dir, { recursive: true });
      await takeOwnership(dir);
      const names = (await fsp.readdir(dir)).filter((n) => SEGMENT.test(n)).sort();
      for (const name of names) {
        nextNumber = Math.max(nextNumber, Number(SEGMENT.exec(name)![1]) + 1);
        const buf = await fsp.readFile(path.join(dir, name));
        const decoded = decodeSegment(buf);
        if (decoded.damage) await quarantine(name, buf, decoded.validBytes, decoded.damage);
        if (decoded.validBytes > 0) {
          sealed.push({ name, bytes: decoded.validBytes });
          usedBytes += decoded.validBytes;
        }
      }
    },
    level(): SpoolLevel {
      if (usedBytes >= budgetBytes) return 'full';
      return usedBytes >= softLimitBytes ? 'soft' : 'ok';
    },
    usedBytes: () => usedBytes,
    /** True when nothing waits for replay: new batches may go straight to the store. */
    isEmpty: () => sealed.length === 0 && (head?.bytes ?? 0) === 0,
    /** Writes the records and fsyncs them; LW_ERR_SPOOL_FULL (nothing written) past the budget. */
    append(records: SpoolRecord[]): Promise<void> {
      return serial(async () => {
        const buf = Buffer.concat(records.map(encodeRecord));
        if (usedBytes + buf.length > budgetBytes) {
          throw new LeakwatchError('LW_ERR_SPOOL_FULL', `spool ${dir} is over its budget (${usedBytes} of ${budgetBytes} bytes)`);
        }
        if (!head) {
          const name = segmentName(nextNumber++);
          head = { name, handle: await fsp.open(path.join(dir, name), 'a'), bytes: 0 };
          await syncDir(dir);
        }
        await head.handle.write(buf);
        await head.handle.sync();
        head.bytes += buf.length;
        usedBytes += buf.length;
        if (head.bytes >= segmentBytes) await sealHead();
      });
    },
    /** The oldest segment to replay, sealing the one being written if it is the only one left. */
    oldest(): Promise<SealedSegment | undefined> {
      return serial(async () => {
        if (sealed.length === 0) await sealHead();
        const first = sealed[0];
        if (!first) return undefined;
        const buf = await fsp.readFile(path.join(dir, first.name));
        const decoded = decodeSegment(buf);
        if (decoded.damage) {
          // Damaged after it was written (the disk, another program): keep the valid part.
          await quarantine(first.name, buf, decoded.validBytes, decoded.damage);
          usedBytes -= first.bytes - decoded.validBytes;
          first.bytes = decoded.validBytes;
        }
        return { name: first.name, records: decoded.records };
      });
    },
    /** Deletes a segment whose every record is stored. */
    remove(name: string): Promise<void> {
      return serial(async () => {
        const at = sealed.findIndex((s) => s.name === name);
        if (at < 0) return;
        const [gone] = sealed.splice(at, 1);
        await fsp.rm(path.join(dir, name), { force: true });
        await syncDir(dir);
        usedBytes -= gone.bytes;
      });
    },
    close(): Promise<void> {
      return serial(async () => {
        await fsp.rm(path.join(dir, OWNER_FILE), { force: true });
        if (!head) return;
        const { handle, name, bytes } = head;
        head = undefined;
        await handle.close();
        // Replayed by the next start-up; an empty head is not worth a file.
        if (bytes > 0) sealed.push({ name, bytes });
        else await fsp.rm(path.join(dir, name), { force: true });
      });
    },
  };
}

export type Spool = ReturnType<typeof createSpool>;
