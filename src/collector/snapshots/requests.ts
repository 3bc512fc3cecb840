import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { encodeMessage } from '../../protocol/encode';
import { PROTOCOL_VERSION } from '../../protocol/messages';
import type { SnapshotStatusMessage } from '../../protocol/snapshot-messages';
import { LeakwatchError } from '../../shared/errors';

/** How long a request waits for the probe's answer (docs/api.md: POST .../snapshots). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

interface Pending {
  resolve: (answer: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Asks a run's probe for a snapshot over its ingest connection and waits for the answer, which
 * comes back as a `snapshot-status` carrying the request id. The probe connections of each run
 * are remembered in connection order: the most recent open one is asked (an older one may be a
 * process of the same run that is going away, or a half-dead connection).
 */
export function createSnapshotRequests<Answer>(options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const probes = new Map<string, WebSocket[]>();
  /** Which boot (process) said hello on each connection, for requests aimed at one process. */
  const bootOfSocket = new WeakMap<WebSocket, string>();
  const pending = new Map<string, Pending>();

  function forget(run: string, ws: WebSocket): void {
    const list = probes.get(run)?.filter((other) => other !== ws);
    if (list && list.length > 0) probes.set(run, list);
    else probes.delete(run);
  }

  return {
    /** A probe said hello for `run` on `ws`; forgotten when the connection closes. */
    addProbe(run: string, ws: WebSocket, boot?: string): void {
      if (boot !== undefined) bootOfSocket.set(ws, boot);
      const list = (probes.get(run) ?? []).filter((other) => other !== ws);
      list.push(ws);
      probes.set(run, list);
      ws.once('close', () => forget(run, ws));
    },

    hasProbe(run: string): boolean {
      return (probes.get(run) ?? []).some((ws) => ws.readyState === WebSocket.OPEN);
    },

    /**
     * Sends a request to the run's newest probe, or to the probe of process `boot` when given;
     * resolves with what `answer` is given for it.
     */
    request(run: string, boot?: string): Promise<Answer> {
      const ws = [...(probes.get(run) ?? [])].reverse().find((candidate) => candidate.readyState === WebSocket.OPEN && (boot === undefined || bootOfSocket.get(candidate) === boot));
      if (!ws) {
        const which = boot === undefined ? `of run ${run}` : `of process ${boot} of run ${run}`;
        return Promise.reject(new LeakwatchError('LW_ERR_SNAPSHOT_NO_PROBE', `no probe ${which} is connected`));
      }
      const requestId = randomUUID();
      return new Promise<Answer>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(requestId);
          reject(new LeakwatchError('LW_ERR_SNAPSHOT_TIMEOUT', `the probe of run ${run} did not answer the snapshot request within ${Math.round(timeoutMs / 1000)} s`));
        }, timeoutMs);
        timer.unref();
        pending.set(requestId, { resolve: resolve as (answer: unknown) => void, timer });
        ws.send(encodeMessage({ v: PROTOCOL_VERSION, type: 'snapshot-request', requestId }), (err) => {
          if (!err) return;
          clearTimeout(timer);
          pending.delete(requestId);
          reject(new LeakwatchError('LW_ERR_SNAPSHOT_NO_PROBE', `the probe connection of run ${run} failed: ${err.message}`));
        });
      });
    },

    /** Whether a status answers a request still waiting here. */
    isAwaited(msg: SnapshotStatusMessage): boolean {
      return msg.requestId !== '' && pending.has(msg.requestId);
    },

    /** Resolves the request `requestId` (a no-op when it already timed out or was never made here). */
    answer(requestId: string, value: Answer): void {
      const waiting = pending.get(requestId);
      if (!waiting) return;
      clearTimeout(waiting.timer);
      pending.delete(requestId);
      waiting.resolve(value);
    },
  };
}

export type SnapshotRequests<Answer> = ReturnType<typeof createSnapshotRequests<Answer>>;
