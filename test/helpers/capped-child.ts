import { spawn } from 'node:child_process';

export interface CappedChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface MemoryCaps {
  /** V8 old-space limit (--max-old-space-size), MB: bounds what JS strings and objects may take. */
  maxOldSpaceMb: number;
  /**
   * Address-space limit (ulimit -v), KB: bounds typed-array allocations, which live outside the
   * V8 heap. Node itself maps about 0.8 GB of address space at start-up.
   */
  virtualMemoryKb: number;
}

/** Runs a Node script in a child process under hard memory limits and collects its output. */
export function runCappedNode(script: string, args: string[], caps: MemoryCaps, timeoutMs = 120_000): Promise<CappedChildResult> {
  const node = [process.execPath, `--max-old-space-size=${caps.maxOldSpaceMb}`, script, ...args];
  return new Promise((resolve, reject) => {
    // sh applies the limit to itself and then becomes node, so the limit covers node alone.
    const child = spawn('/bin/sh', ['-c', 'ulimit -v "$1" || exit 97; shift; exec "$@"', 'sh', String(caps.virtualMemoryKb), ...node], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
