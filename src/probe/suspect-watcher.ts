import { randomUUID } from 'node:crypto';
import { Session } from 'node:inspector';
import type { WatchReportMessage, WatchRequestMessage } from '../protocol/alloc-messages';
import { createCallerStacks } from './caller-stacks';
import { installWatchHooks, NotHookable, type InstalledHooks } from './watch-hooks';

/** The fields of a `watch-report` the watcher decides; the probe adds the envelope (seq). */
export type WatchReportFields = Omit<WatchReportMessage, 'v' | 'type' | 'run' | 'boot' | 'seq'>;

export interface SuspectWatcherOptions {
  /** Queues a report on the ingest connection (seq'd, acknowledged, resent). Must not throw. */
  sendReport: (report: WatchReportFields) => void;
  /** One-line notices for the host's stderr (once per kind of trouble). */
  notice: (line: string) => void;
  /** Watches at once; a request beyond it fails as busy (the collector asks one at a time per process). */
  maxActive?: number;
}

export interface SuspectWatcherStats {
  active: number;
  done: number;
  failed: number;
}

interface ActiveWatch {
  request: WatchRequestMessage;
  startedAt: number;
  hooks: InstalledHooks | undefined;
  timer: NodeJS.Timeout;
  stacks: ReturnType<typeof createCallerStacks>;
  /** Set by the first failure of the recording itself: the watch then ends as failed. */
  error: string;
}

/** Heap objects resolved by this watcher are held in this inspector object group until released. */
const OBJECT_GROUP = 'leakwatch-watch';

/**
 * Answers `watch-request`s: finds the container by its V8 heap object id, hooks the mutators of
 * that one instance (watch-hooks.ts), samples who calls them (caller-stacks.ts) and, after
 * `durationMs`, unhooks and sends a `watch-report`. Unhooking always happens: at the (unref'd)
 * timeout, at the first error of the recording, and on stop(). Nothing here throws into the app.
 *
 * Finding the object: a snapshot's node ids ARE V8's heap object ids (HeapObjectsMap, one per
 * isolate: v8.writeHeapSnapshot() and the inspector share it), so the inspector's
 * `HeapProfiler.getObjectByHeapObjectId` resolves an id read from a snapshot of this process to
 * a remote object (it needs no `HeapProfiler.enable`; before the first snapshot, or once the
 * object is collected, it answers "Object is not available"). `Runtime.callFunctionOn` then hands
 * the object itself to the probe's JavaScript through a function parked for that one synchronous
 * call under a random, unregistered key: an in-process session (`Session.connect()`) dispatches
 * synchronously, so the key lives for no longer than the call.
 *
 * The session is opened once and kept until stop(): V8's inspector clears the heap object ids when
 * any session disconnects (V8HeapProfilerAgentImpl::disable calls HeapProfiler::ClearObjectIds,
 * verified on Node 20: an object's id in the next snapshot differs), which would make later
 * snapshots' node ids unmatchable to earlier ones, so a session per watch is not an option.
 */
export function createSuspectWatcher(options: SuspectWatcherOptions) {
  const { sendReport, notice } = options;
  const maxActive = options.maxActive ?? 1;
  const active = new Map<string, ActiveWatch>();
  const stats: SuspectWatcherStats = { active: 0, done: 0, failed: 0 };
  let session: Session | undefined;
  let stopped = false;
  let noticed = false;

  function fail(request: WatchRequestMessage, reason: string, startedAt = Date.now()): void {
    stats.failed++;
    sendReport({ requestId: request.requestId, objectId: request.objectId, state: 'failed', reason, calls: 0, sampled: 0, watchedMs: Date.now() - startedAt, frames: [], stacks: [] });
  }

  /** The inspector's answer to one command, which an in-process session gives before post() returns. */
  function post(method: string, params: object): Record<string, unknown> {
    let answer: { err: Error | null; result: Record<string, unknown> } | undefined;
    session!.post(method, params, (err, result) => {
      answer = { err, result: result as Record<string, unknown> };
    });
    if (!answer) throw new Error(`the inspector did not answer ${method} synchronously`);
    if (answer.err) throw answer.err;
    return answer.result;
  }

  /** The live object with this heap object id; throws NotHookable when there is none. */
  function objectById(objectId: number): unknown {
    if (!session) {
      // Opened on first use: a probe that is never asked to watch never connects to the inspector.
      session = new Session();
      session.connect();
    }
    let remote: { objectId?: string };
    try {
      remote = (post('HeapProfiler.getObjectByHeapObjectId', { objectId: String(objectId), objectGroup: OBJECT_GROUP }).result ?? {}) as { objectId?: string };
    } catch (err) {
      const message = (err as Error).message.replace(/^Inspector error -?\d+: /, '');
      throw new NotHookable(/not available/i.test(message) ? `no live object has heap id ${objectId} (collected, or no snapshot of this process assigned it)` : message);
    }
    const key = `leakwatch.watch.${randomUUID()}`;
    const slot = Symbol.for(key);
    let found: { value: unknown } | undefined;
    const globals = globalThis as unknown as Record<symbol, unknown>;
    try {
      if (!remote.objectId) throw new NotHookable(`heap id ${objectId} is not an object`);
      globals[slot] = (value: unknown) => {
        found = { value };
      };
      post('Runtime.callFunctionOn', { objectId: remote.objectId, functionDeclaration: 'function (key) { globalThis[Symbol.for(key)](this); }', arguments: [{ value: key }], silent: true });
    } finally {
      delete globals[slot];
      // The remote object handle kept the container alive for the inspector: let it go.
      try {
        post('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP });
      } catch {
        // nothing more to release
      }
    }
    if (!found) throw new NotHookable(`heap id ${objectId} could not be handed over`);
    return found.value;
  }

  /** Unhooks and reports; the one way a watch ends. */
  function finish(watch: ActiveWatch, endReason: string): void {
    if (!active.delete(watch.request.requestId)) return;
    clearTimeout(watch.timer);
    stats.active = active.size;
    let clean = true;
    let unhookError = '';
    try {
      clean = watch.hooks?.unhook() ?? true;
    } catch (err) {
      unhookError = (err as Error).message;
    }
    watch.hooks = undefined;
    const failed = watch.error !== '' || unhookError !== '';
    const reason = [watch.error, unhookError && `unhooking failed: ${unhookError}`, failed ? '' : endReason, clean ? '' : 'the app replaced a hook meanwhile; it was left in place'].filter(Boolean).join('; ');
    if (failed) stats.failed++;
    else stats.done++;
    const { requestId, objectId } = watch.request;
    sendReport({ requestId, objectId, state: failed ? 'failed' : 'done', reason, watchedMs: Date.now() - watch.startedAt, ...watch.stacks.report() });
  }

  function start(request: WatchRequestMessage): void {
    const startedAt = Date.now();
    if (stopped) return fail(request, 'the probe is stopping');
    if (active.has(request.requestId)) return;
    if (active.size >= maxActive) return fail(request, `busy: ${active.size} watch(es) running`);
    // Hooks on hooks would unhook correctly only in reverse order; one watch per object keeps it simple.
    if ([...active.values()].some((w) => w.request.objectId === request.objectId)) return fail(request, `heap id ${request.objectId} is already being watched`);
    let target: unknown;
    try {
      target = objectById(request.objectId);
    } catch (err) {
      if (!(err instanceof NotHookable) && !noticed) {
        noticed = true;
        notice(`leakwatch probe: cannot look up a watched object: ${(err as Error).message}`);
      }
      return fail(request, (err as Error).message, startedAt);
    }
    const watch: ActiveWatch = {
      request,
      startedAt,
      hooks: undefined,
      stacks: createCallerStacks(request.maxStacks),
      error: '',
      timer: setTimeout(() => finish(watch, `watched for ${request.durationMs < 10_000 ? `${request.durationMs} ms` : `${Math.round(request.durationMs / 1000)} s`}`), request.durationMs),
    };
    watch.timer.unref();
    try {
      watch.hooks = installWatchHooks(target, request.kind, (method, hook) => {
        if (watch.error !== '') return;
        try {
          watch.stacks.record(method, hook);
        } catch (err) {
          // The recording broke (a frozen Error, an odd CallSite): never the app's problem.
          watch.error = `recording a call failed: ${(err as Error).message}`;
          setImmediate(() => finish(watch, '')).unref();
        }
      });
    } catch (err) {
      clearTimeout(watch.timer);
      return fail(request, `not hookable: ${(err as Error).message}`, startedAt);
    }
    target = undefined;
    active.set(request.requestId, watch);
    stats.active = active.size;
  }

  return {
    /** A `watch-request` from the collector; the answer is a `watch-report`, now (failed) or at the end. */
    request(request: WatchRequestMessage): void {
      try {
        start(request);
      } catch (err) {
        // A bug here must not become the host's exception.
        notice(`leakwatch probe: watch failed: ${(err as Error).message}`);
      }
    },

    /** Unhooks every watch and reports what it saw; the inspector session is closed last. */
    stop(): void {
      stopped = true;
      for (const watch of [...active.values()]) finish(watch, 'the probe stopped');
      try {
        session?.disconnect();
      } catch {
        // already gone
      }
      session = undefined;
    },

    stats(): SuspectWatcherStats {
      return { ...stats };
    },
  };
}

export type SuspectWatcher = ReturnType<typeof createSuspectWatcher>;
