import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The variable that marks every process a run started. Environment variables are inherited
 * through fork and exec, by `setsid`, by daemons that double-fork and by shells, and the kernel
 * keeps each process's initial environment readable in /proc/<pid>/environ (for its own user)
 * even after the program edits its `process.env`. So a descendant that left the process group
 * and was re-parented to init, which neither the group nor the parent links can find any more,
 * still carries the run's mark. A process that deliberately starts its children with an empty
 * environment (`env -i`) drops it: those are caught by the parent links while their parent lives.
 */
export const TREE_MARK_ENV = 'LEAKWATCH_RUN_TREE';

export interface TreeMember {
  pid: number;
  /** Its process group: members of the command's own group are signalled through the group. */
  pgrp: number;
}

/**
 * The processes one `leakwatch run` started, found three ways:
 * 1. the command's process group and session (the command is spawned `detached`, which makes it
 *    the leader of a new session and group, so its pid names both); the kernel does not hand
 *    that number to a new process while any member still uses it as its group or session id,
 *    so signalling the group can never hit a stranger;
 * 2. parent links from the command (and from every member) in /proc/<pid>/stat, for processes
 *    that moved to another group or session while their parent still lives;
 * 3. the run's mark in /proc/<pid>/environ, for those re-parented away (setsid + double fork).
 * Zombies are not members: they are dead already, only waiting for their parent to reap them.
 * Without /proc (macOS) only the group is signalled.
 */
export interface ProcessTree {
  /** The variables that mark the command's processes; merge them into its environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Records the command's pid once spawned: the leader of its group and session. */
  setRoot(pid: number): void;
  /** Living members now, from a fresh scan. */
  members(): TreeMember[];
  /** Sends `signal` to the group once and to each member outside it; returns the members signalled. */
  signal(signal: NodeJS.Signals): TreeMember[];
}

export interface ProcessTreeOptions {
  /** /proc by default; a test may point elsewhere. */
  procDir?: string;
  /** This process: never a member, whatever its environment says. */
  selfPid?: number;
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  const fields = text.slice(close + 2).split(' ');
  const [state, ppid, pgrp, session] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (!Number.isInteger(pid) || !state || !Number.isInteger(ppid)) return undefined;
  return { pid, state, ppid, pgrp, session };
}

function readOrUndefined(file: string): Buffer | undefined {
  try {
    return fs.readFileSync(file);
  } catch {
    // Gone meanwhile (ENOENT, ESRCH) or another user's (EACCES): not ours to stop either way.
    return undefined;
  }
}

export function createProcessTree(options: ProcessTreeOptions = {}): ProcessTree {
  const procDir = options.procDir ?? '/proc';
  const selfPid = options.selfPid ?? process.pid;
  const mark = randomBytes(12).toString('hex');
  const needle = Buffer.from(`${TREE_MARK_ENV}=${mark}\0`);
  const hasProc = fs.existsSync(path.join(procDir, 'self', 'stat'));
  let root: number | undefined;

  function carriesMark(pid: number): boolean {
    const environ = readOrUndefined(path.join(procDir, String(pid), 'environ'));
    if (!environ) return false;
    // Anchored at a variable's start, so a value that merely ends with the text does not match.
    for (let at = environ.indexOf(needle); at >= 0; at = environ.indexOf(needle, at + 1)) {
      if (at === 0 || environ[at - 1] === 0) return true;
    }
    return false;
  }

  function scan(): TreeMember[] {
    if (root === undefined) return [];
    if (!hasProc) return groupAlive(root) ? [{ pid: root, pgrp: root }] : [];
    let entries: string[];
    try {
      entries = fs.readdirSync(procDir);
    } catch {
      return [];
    }
    const stats = new Map<number, ProcStat>();
    for (const name of entries) {
      if (!/^\d+$/.test(name)) continue;
      const text = readOrUndefined(path.join(procDir, name, 'stat'));
      const stat = text ? parseProcStat(text.toString('latin1')) : undefined;
      if (stat && stat.pid !== selfPid) stats.set(stat.pid, stat);
    }
    const member = new Map<number, boolean>();
    const isMember = (pid: number, depth = 0): boolean => {
      const known = member.get(pid);
      if (known !== undefined) return known;
      const stat = stats.get(pid);
      let yes = false;
      if (stat) {
        yes = pid === root || stat.pgrp === root || stat.session === root || carriesMark(pid);
        // A deep chain is a fork loop of the command's own making; 4096 levels is far past any tree.
        if (!yes && stat.ppid > 1 && depth < 4096) yes = isMember(stat.ppid, depth + 1);
      }
      member.set(pid, yes);
      return yes;
    };
    const found: TreeMember[] = [];
    for (const stat of stats.values()) {
      if (stat.state === 'Z' || stat.state === 'X') continue;
      if (isMember(stat.pid)) found.push({ pid: stat.pid, pgrp: stat.pgrp });
    }
    return found;
  }

  /** Without /proc the group is all there is to see: signal 0 tells whether it has members. */
  function groupAlive(group: number): boolean {
    try {
      process.kill(-group, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  function kill(target: number, signal: NodeJS.Signals): void {
    try {
      process.kill(target, signal);
    } catch {
      // ESRCH: it exited between the scan and now. EPERM: it changed user; nothing we may do.
    }
  }

  return {
    env: { [TREE_MARK_ENV]: mark },
    setRoot(pid) {
      root = pid;
    },
    members: scan,
    signal(signal) {
      if (root === undefined) return [];
      const found = scan();
      // Once to the group, as a terminal signals a job: a member that counts signals (a second
      // Ctrl-C means "force") must not see one twice.
      kill(-root, signal);
      for (const m of found) if (m.pgrp !== root) kill(m.pid, signal);
      return found;
    },
  };
}
