import fs from 'node:fs';
import path from 'node:path';

/**
 * chDB lets one process own a data directory (a second one fails with ClickHouse's "Cannot lock
 * file .../status", code 76). The collector that owns it leaves its URL here, so commands such as
 * `leakwatch runs` ask that collector's API instead of failing on the lock.
 */
const FILE_NAME = 'collector.json';

export interface DataDirOwner {
  pid: number;
  url: string;
}

export function writeDataDirOwner(dataDir: string, owner: DataDirOwner): void {
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(path.join(dataDir, FILE_NAME), JSON.stringify(owner));
}

export function clearDataDirOwner(dataDir: string): void {
  fs.rmSync(path.join(dataDir, FILE_NAME), { force: true });
}

/**
 * The collector a command should talk to: `--collector`, else the live collector that owns the
 * embedded data directory (chDB's lock keeps everyone else out of it), else undefined, and the
 * command opens the store itself. `onOwner` is told when the owner was found, for a note to the user.
 */
export function collectorToAsk(flags: { collector?: string; clickhouse?: string; data: string }, onOwner?: (owner: DataDirOwner) => void): string | undefined {
  if (flags.collector) return flags.collector;
  if (flags.clickhouse) return undefined;
  const owner = readDataDirOwner(path.resolve(flags.data));
  if (owner) onOwner?.(owner);
  return owner?.url;
}

/** The live collector owning `dataDir`, or undefined (a stale file from a crash is ignored). */
export function readDataDirOwner(dataDir: string): DataDirOwner | undefined {
  let owner: DataDirOwner;
  try {
    owner = JSON.parse(fs.readFileSync(path.join(dataDir, FILE_NAME), 'utf8')) as DataDirOwner;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(owner.pid) || typeof owner.url !== 'string' || owner.pid === process.pid) return undefined;
  try {
    process.kill(owner.pid, 0);
    return owner;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? owner : undefined;
  }
}
