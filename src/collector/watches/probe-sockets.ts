import WebSocket from 'ws';

/**
 * The ingest connection of each process (run, boot) that said hello, for requests that must
 * reach that one process: a watch names a heap object id, which means something only in the
 * isolate whose snapshot it came from (snapshots/requests.ts asks "the run's newest probe"
 * instead, which suits a snapshot but not this). A newer connection of the same boot (after a
 * reconnect) replaces the older one; a connection is forgotten when it closes.
 */
export function createProbeSockets() {
  const sockets = new Map<string, WebSocket>();
  const key = (run: string, boot: string) => `${run}\0${boot}`;

  return {
    add(run: string, boot: string, ws: WebSocket): void {
      sockets.set(key(run, boot), ws);
      ws.once('close', () => {
        if (sockets.get(key(run, boot)) === ws) sockets.delete(key(run, boot));
      });
    },

    /** The open connection of that process, if any. */
    find(run: string, boot: string): WebSocket | undefined {
      const ws = sockets.get(key(run, boot));
      return ws && ws.readyState === WebSocket.OPEN ? ws : undefined;
    },
  };
}

export type ProbeSockets = ReturnType<typeof createProbeSockets>;
