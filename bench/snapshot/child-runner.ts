import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * Runs one child Node process of the snapshot benchmark to completion and watches its memory from
 * outside: VmHWM (peak resident set) sampled from /proc/<pid>/status, which still tells how far a
 * child got when it is killed for running out of memory and cannot report anything itself.
 */

export interface ChildOutcome {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  wallMs: number;
  stdout: string;
  /** The last few KiB of stderr, for failure reasons. */
  stderrTail: string;
  /** Highest VmHWM seen by the sampler, bytes (0 where /proc is unavailable). */
  sampledPeakRssBytes: number;
  timedOut: boolean;
}

const STDERR_TAIL = 4096;
const SAMPLE_MS = 200;

function readVmHwm(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    // The process is gone (or this is not Linux): keep the last sample.
    return 0;
  }
}

export function runChild(args: string[], options: { timeoutMs: number; echoStderr?: boolean }): Promise<ChildOutcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderrTail = '';
    let sampled = 0;
    let timedOut = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      // Engines may print progress; only the result lines matter, and they come last.
      if (stdout.length > 1 << 20) stdout = stdout.slice(-(1 << 19));
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (options.echoStderr) process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
    });
    const sampler = setInterval(() => {
      if (child.pid !== undefined) sampled = Math.max(sampled, readVmHwm(child.pid));
    }, SAMPLE_MS);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    // A bench interrupted with Ctrl-C must not leave a 10 GB analysis running.
    const killChild = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killChild);
    child.once('error', (err) => {
      clearInterval(sampler);
      clearTimeout(timer);
      process.off('exit', killChild);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearInterval(sampler);
      clearTimeout(timer);
      process.off('exit', killChild);
      resolve({ code, signal, wallMs: performance.now() - started, stdout, stderrTail, sampledPeakRssBytes: sampled, timedOut });
    });
  });
}

/** The last stdout line that parses as a JSON object (children print their result last). */
export function lastJsonLine<T>(stdout: string): T | null {
  const lines = stdout.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (!line.startsWith('{')) continue;
    try {
      return JSON.parse(line) as T;
    } catch {
      // Not ours (an engine's own output); keep looking.
    }
  }
  return null;
}

/** One short phrase for a child that died instead of reporting. */
export function failureReason(outcome: ChildOutcome): string {
  if (outcome.timedOut) return 'timed out';
  const tail = outcome.stderrTail;
  if (/heap out of memory|Reached heap limit|allocation failed/i.test(tail)) return 'out of memory (V8 heap)';
  if (/Cannot create a string longer than/i.test(tail)) return 'string too long';
  if (outcome.signal === 'SIGKILL') return 'killed (SIGKILL, likely the OOM killer)';
  if (outcome.signal) return `killed by ${outcome.signal}`;
  const lastLine = tail.trim().split('\n').filter((l) => l.trim()).pop() ?? '';
  return `exit code ${outcome.code}${lastLine ? `: ${lastLine.slice(0, 120)}` : ''}`;
}
