import fs from 'node:fs';
import path from 'node:path';
import { LeakwatchError } from '../../shared/errors';
import type { Logger } from '../../shared/log';

const DAY_MS = 86_400_000;
const SWEEP_EVERY_MS = 3_600_000;
const STORED_SUFFIX = '.heapsnapshot.gz';
const UPLOAD_SUFFIX = '.upload';
const VERIFIED_SUFFIX = '.heapsnapshot';
const PARTIAL_SUFFIX = '.partial';
const NODE_INDEX_SUFFIX = '.nodes';
const DIGEST_SUFFIX = '.digest';
const SUSPECTS_SUFFIX = '.suspects.json';
/** Files beside a stored snapshot, which go with it at the retention. */
const SIDECAR_SUFFIXES = [NODE_INDEX_SUFFIX, DIGEST_SUFFIX, SUSPECTS_SUFFIX];

/**
 * Run and snapshot ids become path segments. The wire id pattern ([A-Za-z0-9_.-]) admits `..`
 * and hidden names, so a segment must not start with a dot: that also keeps `.tmp` apart from runs.
 */
export function isSafeSegment(id: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/.test(id);
}

function segment(id: string): string {
  if (!isSafeSegment(id)) throw new LeakwatchError('LW_ERR_BAD_REQUEST', `id ${JSON.stringify(id).slice(0, 80)} cannot name a snapshot file`);
  return id;
}

export interface VerifiedUpload {
  run: string;
  id: string;
  file: string;
}

/**
 * The snapshot directory:
 *   <dir>/<run>/<snapshot>.heapsnapshot.gz   stored snapshots (gzip), kept for the retention
 *   <dir>/<run>/<snapshot>.nodes             its node index (src/snapshot/node-index.ts), for
 *                                            #new / #deleted in diffs; same retention
 *   <dir>/<run>/<snapshot>.digest            its containers (src/snapshot/suspects), read by the
 *                                            suspects of later snapshots of the process; same
 *   <dir>/<run>/<snapshot>.suspects.json     the growth suspects over the window ending at it; same
 *   <dir>/.tmp/<run>/<snapshot>.upload       an upload while it arrives
 *   <dir>/.tmp/<run>/<snapshot>.heapsnapshot a verified upload waiting for analysis; it survives
 *                                            a collector restart and is analysed on the next start
 */
export function createSnapshotFiles(options: { dir: string; retentionDays: number; log: Logger }) {
  const dir = path.resolve(options.dir);
  const tmpDir = path.join(dir, '.tmp');
  const { log } = options;
  let timer: NodeJS.Timeout | undefined;

  async function entries(where: string): Promise<fs.Dirent[]> {
    try {
      return await fs.promises.readdir(where, { withFileTypes: true });
    } catch {
      return [];
    }
  }

  async function removeIfEmpty(where: string): Promise<void> {
    // rmdir fails on a non-empty directory, which is exactly the check wanted here.
    await fs.promises.rmdir(where).catch(() => undefined);
  }

  const files = {
    dir,
    uploadPath: (run: string, id: string) => path.join(tmpDir, segment(run), `${segment(id)}${UPLOAD_SUFFIX}`),
    verifiedPath: (run: string, id: string) => path.join(tmpDir, segment(run), `${segment(id)}${VERIFIED_SUFFIX}`),
    storedPath: (run: string, id: string) => path.join(dir, segment(run), `${segment(id)}${STORED_SUFFIX}`),
    partialPath: (run: string, id: string) => `${files.storedPath(run, id)}${PARTIAL_SUFFIX}`,
    nodeIndexPath: (run: string, id: string) => path.join(dir, segment(run), `${segment(id)}${NODE_INDEX_SUFFIX}`),
    digestPath: (run: string, id: string) => path.join(dir, segment(run), `${segment(id)}${DIGEST_SUFFIX}`),
    suspectsPath: (run: string, id: string) => path.join(dir, segment(run), `${segment(id)}${SUSPECTS_SUFFIX}`),

    /** Free bytes on the snapshot directory's file system (null when unknown). */
    async freeBytes(): Promise<number | null> {
      try {
        await fs.promises.mkdir(dir, { recursive: true });
        const stats = await fs.promises.statfs(dir);
        return stats.bavail * stats.bsize;
      } catch {
        return null;
      }
    },

    /** Deletes stored snapshots (and the files beside them) older than the retention; returns how many went. */
    async sweepExpired(now = Date.now()): Promise<number> {
      const cutoff = now - options.retentionDays * DAY_MS;
      let removed = 0;
      for (const runDir of await entries(dir)) {
        if (!runDir.isDirectory() || !isSafeSegment(runDir.name)) continue;
        const where = path.join(dir, runDir.name);
        for (const file of await entries(where)) {
          if (!file.isFile() || !(file.name.endsWith(STORED_SUFFIX) || SIDECAR_SUFFIXES.some((suffix) => file.name.endsWith(suffix)))) continue;
          const full = path.join(where, file.name);
          const stat = await fs.promises.stat(full).catch(() => undefined);
          if (stat && stat.mtimeMs < cutoff) {
            await fs.promises.rm(full, { force: true });
            if (file.name.endsWith(STORED_SUFFIX)) removed++;
          }
        }
        await removeIfEmpty(where);
      }
      if (removed > 0) log.info(`snapshot retention: removed ${removed} file(s) older than ${options.retentionDays} days`);
      return removed;
    },

    /**
     * At start no upload is in progress: half-received uploads and half-written archives of a
     * previous process are removed. Verified uploads are returned so they get analysed.
     */
    async recover(): Promise<VerifiedUpload[]> {
      const verified: VerifiedUpload[] = [];
      for (const runDir of await entries(tmpDir)) {
        if (!runDir.isDirectory() || !isSafeSegment(runDir.name)) continue;
        const where = path.join(tmpDir, runDir.name);
        for (const file of await entries(where)) {
          const full = path.join(where, file.name);
          const id = file.name.slice(0, -VERIFIED_SUFFIX.length);
          if (file.isFile() && file.name.endsWith(VERIFIED_SUFFIX) && isSafeSegment(id)) {
            verified.push({ run: runDir.name, id, file: full });
          } else {
            await fs.promises.rm(full, { force: true, recursive: true });
          }
        }
        await removeIfEmpty(where);
      }
      for (const runDir of await entries(dir)) {
        if (!runDir.isDirectory() || !isSafeSegment(runDir.name)) continue;
        for (const file of await entries(path.join(dir, runDir.name))) {
          if (file.name.endsWith(PARTIAL_SUFFIX)) await fs.promises.rm(path.join(dir, runDir.name, file.name), { force: true });
        }
      }
      return verified;
    },

    /** Sweeps now and then hourly; the timer never keeps the process alive. */
    startRetention(): void {
      const sweep = () => void files.sweepExpired().catch((err: Error) => log.warn(`snapshot retention sweep failed: ${err.message}`));
      sweep();
      timer = setInterval(sweep, SWEEP_EVERY_MS);
      timer.unref();
    },

    stopRetention(): void {
      clearInterval(timer);
    },
  };
  return files;
}

export type SnapshotFiles = ReturnType<typeof createSnapshotFiles>;
