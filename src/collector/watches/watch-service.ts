import { randomUUID } from 'node:crypto';
import type WebSocket from 'ws';
import type { WatchReportMessage, WatchRequestMessage } from '../../protocol/alloc-messages';
import { encodeMessage } from '../../protocol/encode';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import type { SuspectWatch } from '../../shared/alloc-data';
import { LeakwatchError, formatErrorLine } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import { suspectName, type SnapshotSuspects } from '../../shared/suspect-data';
import { createUnmappedResolver, type LocationResolver } from '../source-maps/location-resolver';
import { createProbeSockets } from './probe-sockets';
import { publicWatch, readWatchFile, writeWatchFile, type StoredWatch } from './watch-file';
import { watchedCallers } from './watched-callers';

export const DEFAULT_WATCH_MS = 30_000;
export const DEFAULT_WATCH_STACKS = 200;
/** Top suspects watched after a snapshot (each in turn: one watch at a time per process). */
export const DEFAULT_WATCHED_SUSPECTS = 2;
/** The container kinds the probe can hook (src/probe/watch-hooks.ts): contexts and timer lists are not. */
export const HOOKABLE_KINDS: ReadonlySet<string> = new Set(['map', 'set', 'array', 'listeners', 'object']);
/** Beyond its duration, how long a watch waits for its report before it is recorded as lost. */
const REPORT_GRACE_MS = 15_000;

export interface WatchServiceOptions {
  /** The snapshot directory: each run's watches.json lives beside its snapshots. */
  dir: string;
  log: Logger;
  /** Maps the callers' frames to the user's sources; default maps nothing. */
  resolver?: LocationResolver;
  /** Watch the top suspects by itself after each snapshot's suspects (--watch-suspects). */
  auto?: boolean;
  durationMs?: number;
  maxStacks?: number;
  watchedSuspects?: number;
  now?: () => number;
}

interface Waiting {
  resolve: () => void;
  timer: NodeJS.Timeout;
}

/**
 * Watching suspect containers for the exact line that adds to them: sends `watch-request`s over
 * the probe's own ingest connection (probe-sockets.ts), records each watch as `watching`, and
 * when the probe's `watch-report` comes back stores it with its callers source-mapped. With
 * `auto`, the top hookable suspects of a process are watched after each snapshot's ranking, one
 * after the other (a watch costs the app a stack capture per sampled call; two at once would
 * double it), and a container already watched with callers found is not watched again.
 */
export function createWatchService(options: WatchServiceOptions) {
  const { dir, log } = options;
  const resolver = options.resolver ?? createUnmappedResolver();
  const now = options.now ?? Date.now;
  const durationMs = options.durationMs ?? DEFAULT_WATCH_MS;
  const maxStacks = options.maxStacks ?? DEFAULT_WATCH_STACKS;
  const sockets = createProbeSockets();
  const waiting = new Map<string, Waiting>();
  /** Per run, the read-modify-write of its file, one at a time. */
  const writes = new Map<string, Promise<unknown>>();
  /** Per process, the automatic watches in turn. */
  const queues = new Map<string, Promise<void>>();
  let closed = false;

  function update(run: string, change: (watches: StoredWatch[]) => StoredWatch[]): Promise<StoredWatch[]> {
    const next = (writes.get(run) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const changed = change(await readWatchFile(dir, run));
      await writeWatchFile(dir, run, changed);
      return changed;
    });
    writes.set(run, next);
    void next.finally(() => {
      if (writes.get(run) === next) writes.delete(run);
    }).catch(() => undefined);
    return next;
  }

  /** A `watching` record whose report can no longer come reads as failed. */
  function settled(watch: StoredWatch): StoredWatch {
    if (watch.state !== 'watching' || now() < watch.requestedAt + watch.durationMs + REPORT_GRACE_MS || waiting.has(watch.requestId)) return watch;
    return { ...watch, state: 'failed', reason: 'the probe did not report (its process ended or the collector restarted)' };
  }

  function markLost(run: string, requestId: string): void {
    void update(run, (watches) => watches.map((w) => (w.requestId === requestId && w.state === 'watching' ? { ...w, state: 'failed', reason: 'the probe did not report within the watch and its grace' } : w))).catch((err: Error) =>
      log.warn(`run ${run}: cannot record a lost watch: ${err.message}`),
    );
  }

  /**
   * Asks the process (run, boot) to watch container `objectId` for `durationMs`. Resolves with
   * the `watching` record once the request is sent; `done()` of the answer resolves when the
   * report arrived or was given up on. LW_ERR_WATCH_NO_PROBE when the process is not connected.
   */
  async function requestWatch(run: string, boot: string, objectId: number, kind: string, watchMs = durationMs, container = `object @${objectId}`): Promise<{ watch: SuspectWatch; done: Promise<void> }> {
    const ws: WebSocket | undefined = sockets.find(run, boot);
    if (!ws) throw new LeakwatchError('LW_ERR_WATCH_NO_PROBE', `no probe of process ${boot} of run ${run} is connected`);
    const requestId = randomUUID();
    const stored: StoredWatch = { run, boot, objectId, kind, container, requestedAt: now(), state: 'watching', reason: '', calls: 0, sampled: 0, watchedMs: 0, callers: [], requestId, durationMs: watchMs };
    await update(run, (watches) => [stored, ...watches]);
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiting.delete(requestId);
        markLost(run, requestId);
        resolve();
      }, watchMs + REPORT_GRACE_MS);
      timer.unref();
      waiting.set(requestId, { resolve, timer });
    });
    const request: WatchRequestMessage = { v: PROTOCOL_VERSION, type: 'watch-request', requestId, objectId, kind, durationMs: watchMs, maxStacks };
    ws.send(encodeMessage(request), (err) => {
      if (!err) return;
      const w = waiting.get(requestId);
      if (w) {
        clearTimeout(w.timer);
        waiting.delete(requestId);
        w.resolve();
      }
      void update(run, (watches) => watches.map((x) => (x.requestId === requestId ? { ...x, state: 'failed', reason: `the request did not reach the probe: ${err.message}` } : x))).catch(() => undefined);
    });
    log.info(`run ${run}: watching ${container} (${kind}, heap id ${objectId}) in process ${boot} for ${Math.round(watchMs / 1000)} s`);
    return { watch: publicWatch(stored), done };
  }

  /** Watches the top hookable suspects of one ranking in turn (the automatic trigger). */
  async function watchTop(result: SnapshotSuspects): Promise<void> {
    const { run, boot } = result;
    const known = await readWatchFile(dir, run).catch(() => [] as StoredWatch[]);
    const found = new Set(known.filter((w) => w.boot === boot && w.state === 'done' && w.sampled > 0).map((w) => w.objectId));
    const picks = result.suspects.filter((s) => HOOKABLE_KINDS.has(s.kind) && !found.has(s.id)).slice(0, options.watchedSuspects ?? DEFAULT_WATCHED_SUSPECTS);
    for (const suspect of picks) {
      if (closed) return;
      try {
        const { done } = await requestWatch(run, boot, suspect.id, suspect.kind, durationMs, suspectName(suspect));
        await done;
      } catch (err) {
        log.info(`run ${run}: not watching ${suspectName(suspect)}: ${formatErrorLine(err)}`);
        return;
      }
    }
  }

  return {
    /** A probe said hello on `ws` (ingest.ts): watches of its process go there. */
    addProbe(run: string, boot: string, ws: WebSocket): void {
      sockets.add(run, boot, ws);
    },

    requestWatch,

    /**
     * A probe's `watch-report`, once everything before it on its connection is stored (ingest.ts):
     * stored with its callers source-mapped. A report no record waits for (the collector
     * restarted meanwhile) is stored as a new record. Rejects when the file cannot be written.
     */
    async onReport(msg: WatchReportMessage): Promise<void> {
      const callers = await watchedCallers(resolver, msg.run, msg).catch((err: Error) => {
        log.warn(`run ${msg.run}: the watch's callers could not be source-mapped: ${err.message}`);
        return watchedCallers(createUnmappedResolver(), msg.run, msg);
      });
      const outcome = { state: msg.state, reason: msg.reason, calls: msg.calls, sampled: msg.sampled, watchedMs: msg.watchedMs, callers };
      await update(msg.run, (watches) => {
        const index = watches.findIndex((w) => w.requestId === msg.requestId && w.boot === msg.boot);
        if (index < 0) return [{ run: msg.run, boot: msg.boot, objectId: msg.objectId, kind: '', container: `object @${msg.objectId}`, requestedAt: now() - msg.watchedMs, requestId: msg.requestId, durationMs: msg.watchedMs, ...outcome }, ...watches];
        const copy = watches.slice();
        copy[index] = { ...copy[index], ...outcome };
        return copy;
      });
      const top = callers[0]?.frames[0];
      log.info(`run ${msg.run}: watch of heap id ${msg.objectId} ${msg.state}${msg.reason ? ` (${msg.reason})` : ''}: ${msg.calls} calls, ${msg.sampled} sampled${top ? `, top caller ${top.source.file}:${top.source.line}` : ''}`);
      const w = waiting.get(msg.requestId);
      if (w) {
        clearTimeout(w.timer);
        waiting.delete(msg.requestId);
        w.resolve();
      }
    },

    /** After a snapshot's suspects are ranked (suspects-step.ts): with `auto`, watch its process's top ones. */
    onSuspects(result: SnapshotSuspects): void {
      if (!options.auto || closed || result.suspects.length === 0 || result.boot === '') return;
      const key = `${result.run}\0${result.boot}`;
      const next = (queues.get(key) ?? Promise.resolve()).then(() => watchTop(result)).catch((err: Error) => log.warn(`run ${result.run}: watching its suspects failed: ${err.message}`));
      queues.set(key, next);
      void next.finally(() => {
        if (queues.get(key) === next) queues.delete(key);
      });
    },

    /** The run's watches, newest first. */
    async list(run: string): Promise<SuspectWatch[]> {
      return (await readWatchFile(dir, run)).map((w) => publicWatch(settled(w)));
    },

    /** Resolves when no automatic watch is queued or running (tests, `run --check`). */
    async idle(): Promise<void> {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },

    /** Stops waiting; a report arriving later is no longer stored by this collector. */
    async close(): Promise<void> {
      closed = true;
      for (const w of waiting.values()) {
        clearTimeout(w.timer);
        w.resolve();
      }
      waiting.clear();
      await Promise.all([...writes.values()].map((p) => p.catch(() => undefined)));
    },
  };
}

export type WatchService = ReturnType<typeof createWatchService>;
