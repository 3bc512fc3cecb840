import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTracked } from '../common/tracked-children';
import type { SeriesPoint } from '../../src/trend/trend-model';

/**
 * `leakwatch collect` as a user runs it, observed from outside: its RSS is read from
 * /proc/<pid>/status every second (what the kernel charges the process, the embedded engine's
 * memory included), one series per lifetime, since a restart starts from nothing.
 */
export interface CollectorLifetime {
  pid: number;
  startedAt: number;
  stoppedAt: number | null;
  rss: SeriesPoint[];
}

export interface SoakCollector {
  readonly url: string;
  readonly lifetimes: readonly CollectorLifetime[];
  /** Stops the running collector (SIGTERM: it stores what it received first) and starts a new one on the same port and data directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const BIN = path.resolve(__dirname, '..', '..', '..', 'bin', 'leakwatch.js');
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 60_000;

/** VmRSS of a live process in bytes, or null once it is gone. */
export function readRss(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function waitForListening(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`leakwatch collect did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /collector listening on (\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`leakwatch collect exited (${signal ?? `code ${code}`}) before listening`));
    });
  });
}

export async function startSoakCollector(dataDir: string, port: number): Promise<SoakCollector> {
  const lifetimes: CollectorLifetime[] = [];
  let child: ChildProcess | undefined;
  let url = '';
  let sampler: NodeJS.Timeout | undefined;

  async function start(): Promise<void> {
    const proc = spawnTracked(process.execPath, [BIN, 'collect', '--port', String(port), '--data', dataDir, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'inherit'] });
    url = await waitForListening(proc);
    // Keep reading stdout so a chatty collector never blocks on a full pipe.
    proc.stdout!.resume();
    child = proc;
    const lifetime: CollectorLifetime = { pid: proc.pid!, startedAt: Date.now(), stoppedAt: null, rss: [] };
    lifetimes.push(lifetime);
    sampler = setInterval(() => {
      const rss = readRss(lifetime.pid);
      if (rss !== null) lifetime.rss.push({ t: Date.now(), v: rss });
    }, 1000);
  }

  async function stopCurrent(): Promise<void> {
    clearInterval(sampler);
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const force = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
    proc.kill('SIGTERM');
    await exited;
    clearTimeout(force);
    lifetimes[lifetimes.length - 1]!.stoppedAt = Date.now();
  }

  await start();
  return {
    get url() {
      return url;
    },
    lifetimes,
    async restart() {
      await stopCurrent();
      await start();
    },
    stop: stopCurrent,
  };
}
