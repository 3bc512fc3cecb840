import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from 'node:child_process';

/**
 * Child-process bookkeeping for the benchmarks: every child forked here is killed when the bench
 * exits, however it exits (normal end, thrown error, Ctrl-C), so no workload server or load
 * generator is left burning a core after a failed run.
 */
const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      killAll();
      process.stderr.write(`bench interrupted (${signal})\n`);
      process.exit(130);
    });
  }
}

/** Forks a script with an IPC channel and registers it for cleanup. */
export function forkTracked(modulePath: string, args: string[], options: ForkOptions): ChildProcess {
  hookExit();
  const child = fork(modulePath, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Spawns a command without an IPC channel (a CLI process, which must exit by itself) and registers it for cleanup. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  hookExit();
  const child = spawn(command, args, options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Resolves with the first IPC message of the given type; rejects if the child exits first or the
 * timeout passes, so a wedged child turns into an error instead of a hung bench.
 */
export function waitForMessage<T extends { type: string }>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (message: unknown): void => {
      if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type) {
        cleanup();
        resolve(message as T);
      }
    };
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`child ${child.pid} exited (${signal ?? `code ${code}`}) before sending "${type}"`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`child ${child.pid} sent no "${type}" within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Stops a child and waits for it to be gone (SIGKILL if it ignores SIGTERM for a second). */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 1000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
