import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { LeakwatchError } from '../shared/errors';

/** The probe's attach entry, preloaded with -r (works for CommonJS and ESM apps alike). */
export const REGISTER_PATH = path.resolve(__dirname, '..', 'probe', 'register.js');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Appends `--require "<probe>"` to NODE_OPTIONS, keeping whatever the user already had. */
export function nodeOptionsWithProbe(existing: string | undefined): string {
  // NODE_OPTIONS splits on spaces but honours double quotes, so a path with spaces survives.
  const preload = `--require "${REGISTER_PATH.replace(/(["\\])/g, '\\$1')}"`;
  return existing ? `${existing} ${preload}` : preload;
}

/**
 * Starts the user's command with the probe attached through NODE_OPTIONS, as the leader of a new
 * session and process group (`detached`), so that the run can signal everything it started as
 * one group (process-tree.ts). A terminal's Ctrl-C then reaches leakwatch alone, which forwards
 * it (run-lifetime.ts): the command sees the same signals it would see without leakwatch.
 */
export function spawnWithProbe(command: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; exited: Promise<ChildResult> } {
  const [file, ...args] = command;
  const child = spawn(file, args, { stdio: 'inherit', detached: true, env: { ...env, NODE_OPTIONS: nodeOptionsWithProbe(env.NODE_OPTIONS) } });
  const exited = new Promise<ChildResult>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(new LeakwatchError('LW_ERR_CHILD', err.code === 'ENOENT' ? `command not found: ${file}` : `cannot start ${file}: ${err.message}`));
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  return { child, exited };
}

/** The shell convention for a process killed by a signal: 128 + signal number. */
export function exitCodeOf(result: ChildResult): number {
  if (result.code !== null) return result.code;
  const number = result.signal ? os.constants.signals[result.signal] : undefined;
  return 128 + (number ?? 1);
}
