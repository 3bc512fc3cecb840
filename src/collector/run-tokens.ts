import { createHash, randomBytes } from 'node:crypto';
import type WebSocket from 'ws';

/** What tells a run token from a user's probe token: a collector that did not issue one refuses it. */
export const RUN_TOKEN_PREFIX = 'lwrun_';

export function isRunToken(token: string | undefined): token is string {
  return token !== undefined && token.startsWith(RUN_TOKEN_PREFIX);
}

/**
 * Tokens held at once. Each is a few hundred bytes; a client allowed to ask for them must not be
 * able to grow the collector without bound, so past this the oldest is forgotten (its run, if it
 * still sends, is refused like an ended one: that is thousands of runs ago).
 */
const MAX_RUN_TOKENS = 10_000;

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Probe tokens that belong to one run of `leakwatch run`, kept in this collector's memory only.
 *
 * Why: a process of a run can outlive it (the run's `leakwatch` was SIGKILLed, or the process
 * escaped every signal), and its probe reconnects to whatever listens on the old address later,
 * often the next collector a user starts on the same port. Telling the probe the run ended (the
 * LW_ERR_RUN_ENDED close code) works only while this collector lives; a token the next collector
 * has never heard of holds even when this one died without a word. So `leakwatch run` hands its
 * command a token issued here for its run, and any collector that did not issue a token of this
 * form, or revoked it when the run ended, refuses it with LW_ERR_RUN_ENDED, which the probe obeys
 * by stopping for good. Only hashes are kept, and lookups go by hash, so the comparison leaks
 * nothing about the secret.
 */
export function createRunTokens() {
  const runByHash = new Map<string, string>();
  const sockets = new Map<string, Set<WebSocket>>();
  return {
    /** A fresh token for `runId`, accepted until the run is revoked. */
    issue(runId: string): string {
      const token = `${RUN_TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
      runByHash.set(hashOf(token), runId);
      // A Map iterates in insertion order: the first key is the oldest token.
      if (runByHash.size > MAX_RUN_TOKENS) runByHash.delete(runByHash.keys().next().value!);
      return token;
    },
    /** The run a presented token was issued for, or undefined (never issued, or revoked). */
    runOf(token: string): string | undefined {
      return runByHash.get(hashOf(token));
    },
    /** Remembers a socket admitted with `runId`'s token, so that ending the run can close it. */
    track(runId: string, ws: WebSocket): void {
      let set = sockets.get(runId);
      if (!set) sockets.set(runId, (set = new Set()));
      set.add(ws);
      ws.once('close', () => {
        set.delete(ws);
        if (set.size === 0 && sockets.get(runId) === set) sockets.delete(runId);
      });
    },
    /** Forgets the run's tokens and returns its sockets still open, for the caller to close. */
    revoke(runId: string): WebSocket[] {
      for (const [hash, run] of runByHash) if (run === runId) runByHash.delete(hash);
      const open = [...(sockets.get(runId) ?? [])];
      sockets.delete(runId);
      return open;
    },
  };
}

export type RunTokens = ReturnType<typeof createRunTokens>;
