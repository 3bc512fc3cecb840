import type { ChildProcess } from 'node:child_process';
import type { ProcessTree, TreeMember } from './process-tree';

/** The signals by which a user, a terminal or a supervisor ends `leakwatch run`. */
export const END_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Default of --kill-after: how long the run's processes have between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_AFTER_MS = 10_000;

/** After SIGKILL the kernel needs milliseconds; past this, what is left cannot be stopped by us (another user's, or stuck in the kernel). */
const AFTER_KILL_WAIT_MS = 5000;

export interface RunLifetimeOptions {
  tree: ProcessTree;
  /** The command leakwatch spawned, leader of the tree's group. */
  child: ChildProcess;
  /** Grace between the polite signal and SIGKILL (--kill-after). */
  killAfterMs: number;
  /** One line to the user's stderr (without the `leakwatch: ` prefix). */
  note: (line: string) => void;
  /** Called once when an end signal reaches leakwatch (it is then forwarded to the tree). */
  onSignal?: (signal: NodeJS.Signals) => void;
  /** Between two scans of the tree while it stops (tests may shorten it). */
  pollMs?: number;
}

export interface RunLifetime {
  /**
   * Stops every process of the run: `first` now (SIGTERM, or the signal a user sent, so Ctrl-C
   * reaches the command as SIGINT as it would without leakwatch), SIGTERM to whatever is left once
   * the command itself has exited or half the grace has passed, SIGKILL once the grace is over.
   * Resolves when the command has exited and no process of the tree is left. Calling it again
   * returns the same stop.
   */
  stop(first?: NodeJS.Signals): Promise<void>;
  /** Removes the signal handlers and the exit hook (after stop() resolved, or with nothing started). */
  dispose(): void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pidList(members: TreeMember[]): string {
  const pids = members.map((m) => m.pid);
  return pids.length > 8 ? `${pids.slice(0, 8).join(', ')}, …` : pids.join(', ');
}

/**
 * The lifetime of the processes one `leakwatch run` started. The command runs in its own
 * process group (see process-tree.ts), so a terminal's Ctrl-C reaches leakwatch alone: the
 * handlers here forward it, and SIGTERM and SIGHUP likewise, to the whole tree. A second end
 * signal while the tree is stopping (Ctrl-C again, a supervisor's follow-up) means "now": SIGKILL
 * at once. If leakwatch itself exits on an error path before the stop finished, an exit hook
 * SIGKILLs the tree synchronously, so that no process outlives `leakwatch run` even then.
 */
export function createRunLifetime(options: RunLifetimeOptions): RunLifetime {
  const { tree, child, killAfterMs, note } = options;
  const pollMs = options.pollMs ?? 150;
  let stopping: Promise<void> | undefined;
  let hurry = false;
  let finished = false;
  let disposed = false;

  // A command that could not be started (ENOENT) has no exit code, and no tree either.
  let spawnFailed = child.pid === undefined;
  child.once('error', () => {
    if (child.pid === undefined) spawnFailed = true;
  });
  const commandExited = (): boolean => spawnFailed || child.exitCode !== null || child.signalCode !== null;

  const onEndSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      hurry = true;
      return;
    }
    options.onSignal?.(signal);
    void stop(signal);
  };
  const onExit = (): void => {
    if (!finished) tree.signal('SIGKILL');
  };
  for (const signal of END_SIGNALS) process.on(signal, onEndSignal);
  process.on('exit', onExit);

  async function teardown(first: NodeJS.Signals): Promise<void> {
    const startedAt = Date.now();
    let sentTerm = first === 'SIGTERM' || first === 'SIGKILL';
    let killedAt = first === 'SIGKILL' ? startedAt : undefined;
    tree.signal(first);
    for (;;) {
      await sleep(pollMs);
      const left = tree.members();
      if (left.length === 0 && commandExited()) return;
      const now = Date.now();
      if (killedAt === undefined) {
        if (hurry || now - startedAt >= killAfterMs) {
          if (left.length > 0) note(`${left.length} process${left.length === 1 ? '' : 'es'} of the run still running ${hurry ? 'after a second signal' : `${Math.round((now - startedAt) / 100) / 10} s after the end`} (pid ${pidList(left)}): sending SIGKILL`);
          tree.signal('SIGKILL');
          killedAt = now;
        } else if (!sentTerm && (commandExited() || now - startedAt >= killAfterMs / 2)) {
          // The command is gone but left processes behind (`node a.js &` in a shell that exited),
          // or it ignores `first`: the polite request to end, before the grace runs out.
          tree.signal('SIGTERM');
          sentTerm = true;
        }
      } else if (now - killedAt >= AFTER_KILL_WAIT_MS) {
        if (left.length > 0) note(`could not stop pid ${pidList(left)} (not ours to signal, or stuck in the kernel)`);
        return;
      } else {
        // Whatever the tree forked since the last round.
        tree.signal('SIGKILL');
      }
    }
  }

  function stop(first: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    stopping ??= teardown(first).finally(() => {
      finished = true;
    });
    return stopping;
  }

  return {
    stop,
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const signal of END_SIGNALS) process.off(signal, onEndSignal);
      process.off('exit', onExit);
    },
  };
}
