import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How much more memory this process can take before the machine or its container runs out. */
export interface MemoryRoom {
  /** Bytes: the smaller of `systemBytes` and `containerBytes`. */
  availableBytes: number;
  /** MemAvailable from /proc/meminfo (the kernel's estimate without swapping), else os.freemem(). */
  systemBytes: number;
  /** Room under the tightest cgroup memory limit of this process; Infinity when there is none. */
  containerBytes: number;
  /** Which of the two is smaller: what a refusal reason names. */
  limitedBy: 'system' | 'container';
}

/** Where the kernel's files are; tests point these at directories laid out the same way. */
export interface MemoryRoomSources {
  /** Default /proc. */
  procDir?: string;
  /** Mount point of the cgroup file systems (v2 unified, or v1 with a `memory/` controller dir). Default /sys/fs/cgroup. */
  cgroupDir?: string;
}

/** cgroup v1 writes a page-aligned LONG_MAX for "no limit"; anything this large is no limit. */
const NO_LIMIT = 2 ** 60;

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

function statValue(stat: string | undefined, key: string): number {
  if (!stat) return 0;
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(stat);
  return match ? Number(match[1]) : 0;
}

async function systemAvailable(procDir: string): Promise<number> {
  const meminfo = await readText(path.join(procDir, 'meminfo'));
  const match = meminfo ? /^MemAvailable:\s+(\d+)\s*kB$/m.exec(meminfo) : null;
  // Kernels before 3.14 and non-Linux systems have no MemAvailable; free memory is the
  // conservative stand-in (it ignores reclaimable page cache).
  return match ? Number(match[1]) * 1024 : os.freemem();
}

/**
 * Room under one cgroup directory's limit, or undefined when it sets none. Page cache that the
 * kernel can drop (inactive file pages) is counted as room: it is charged to the cgroup, yet
 * reclaimed before the OOM killer acts, and a snapshot file written earlier leaves plenty of it.
 * The cgroup's own memory.current / usage_in_bytes would call that memory taken.
 */
async function cgroupRoom(dir: string, version: 1 | 2): Promise<number | undefined> {
  const [limitText, usageText, stat] = await Promise.all(
    version === 2
      ? [readText(path.join(dir, 'memory.max')), readText(path.join(dir, 'memory.current')), readText(path.join(dir, 'memory.stat'))]
      : [readText(path.join(dir, 'memory.limit_in_bytes')), readText(path.join(dir, 'memory.usage_in_bytes')), readText(path.join(dir, 'memory.stat'))],
  );
  if (limitText === undefined || usageText === undefined) return undefined;
  const limit = limitText.trim() === 'max' ? Number.POSITIVE_INFINITY : Number(limitText.trim());
  const usage = Number(usageText.trim());
  if (!Number.isFinite(limit) || limit >= NO_LIMIT || !Number.isFinite(usage)) return undefined;
  const reclaimable = version === 2 ? statValue(stat, 'inactive_file') : statValue(stat, 'total_inactive_file') || statValue(stat, 'inactive_file');
  return Math.max(0, limit - Math.max(0, usage - reclaimable));
}

/**
 * The tightest limit on the path from this process's cgroup up to the mount root: a parent's
 * limit binds its children too. When the process's cgroup path does not exist under the mount
 * (a container that sees the host's path but has only its own cgroup mounted), the mount root is
 * that container's cgroup and is the one read.
 */
async function containerRoom(procDir: string, cgroupDir: string): Promise<number> {
  const table = await readText(path.join(procDir, 'self', 'cgroup'));
  if (!table) return Number.POSITIVE_INFINITY;
  let version: 1 | 2 | undefined;
  let relative = '/';
  for (const line of table.split('\n')) {
    const [, controllers, cgroupPath] = line.split(':');
    if (cgroupPath === undefined) continue;
    if (controllers!.split(',').includes('memory')) {
      version = 1;
      relative = cgroupPath;
      break;
    }
    if (line.startsWith('0::')) {
      version = 2;
      relative = cgroupPath;
    }
  }
  if (version === undefined) return Number.POSITIVE_INFINITY;
  const mount = version === 2 ? cgroupDir : path.join(cgroupDir, 'memory');
  let dir = path.join(mount, relative);
  try {
    await fsp.access(dir);
  } catch {
    dir = mount;
  }
  let room = Number.POSITIVE_INFINITY;
  for (;;) {
    const here = await cgroupRoom(dir, version);
    if (here !== undefined) room = Math.min(room, here);
    const parent = path.dirname(dir);
    if (parent === dir || path.relative(mount, dir) === '' || path.relative(mount, parent).startsWith('..')) break;
    dir = parent;
  }
  return room;
}

/**
 * Reads the memory this process can still take. A handful of small file reads, all async: it
 * runs before every snapshot and must not block the app's loop. Any unreadable file counts as
 * "no limit there", so a locked-down /proc degrades to os.freemem() rather than to an error.
 */
export async function readMemoryRoom(sources: MemoryRoomSources = {}): Promise<MemoryRoom> {
  const procDir = sources.procDir ?? '/proc';
  const cgroupDir = sources.cgroupDir ?? '/sys/fs/cgroup';
  const [systemBytes, containerBytes] = await Promise.all([systemAvailable(procDir), containerRoom(procDir, cgroupDir)]);
  return {
    availableBytes: Math.min(systemBytes, containerBytes),
    systemBytes,
    containerBytes,
    limitedBy: containerBytes < systemBytes ? 'container' : 'system',
  };
}
