/**
 * One series per process: every probe boot of a run (a process, or a worker thread that loads
 * the probe) is its own series, named by its role in the command `leakwatch run` started.
 */

/**
 * `launcher` only spawns the app (npm, npx, yarn, pnpm, corepack, tsx's launcher) and is kept out
 * of the verdict; `primary` is a cluster primary, `worker` a cluster worker (roleIndex: its
 * cluster id), `thread` a worker thread (roleIndex: its threadId); `process` is anything else.
 */
export type ProcessRole = 'launcher' | 'primary' | 'worker' | 'thread' | 'process';
export const PROCESS_ROLES: readonly ProcessRole[] = ['launcher', 'primary', 'worker', 'thread', 'process'];

/** A process (boot) of a run as stored: what its hello said, and when it said bye. */
export interface RunProcess {
  boot: string;
  pid: number;
  ppid: number;
  /** 0 for a process's main thread. */
  threadId: number;
  role: ProcessRole;
  roleIndex: number;
  argv: string[];
  host: string;
  startedAt: number;
  endedAt: number | null;
}

/** How a process is named in verdicts, lists and the UI: "worker 2 (pid 1234, node server.js)". */
export function processLabel(p: Pick<RunProcess, 'role' | 'roleIndex' | 'pid' | 'argv'>): string {
  const role = p.role === 'worker' || p.role === 'thread' ? `${p.role} ${p.roleIndex}` : p.role;
  const command = commandOf(p.argv);
  return `${role} (pid ${p.pid}${command ? `, ${command}` : ''})`;
}

/** The command line as a user typed it, short: `node server.js --port 3000`, script by its base name. */
export function commandOf(argv: readonly string[]): string {
  if (argv.length === 0) return '';
  const [script, ...rest] = argv;
  const base = script.split(/[\\/]/).pop() ?? script;
  return ['node', base, ...rest].join(' ').slice(0, 120);
}
