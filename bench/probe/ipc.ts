/**
 * IPC messages between the probe benchmark and its children. Everything the bench reports about
 * the server is measured inside the server (its own clock, CPU counter and request counter), so
 * the numbers do not depend on how quickly the bench and the load generator exchange messages.
 */

/**
 * `bare-control` is a second bare server (bench --control): its "overhead" against bare is pure
 * measurement noise, the floor below which no difference in the report means anything.
 * `leakwatch` is the probe without allocation sampling (LEAKWATCH_ALLOC_SAMPLING=0);
 * `leakwatch-alloc` the probe as it ships, sampling allocations at the default 512 KiB.
 */
export type BenchMode = 'bare' | 'leakwatch' | 'leakwatch-alloc' | 'prom-client' | 'bare-control';

export const BENCH_MODES: readonly BenchMode[] = ['bare', 'leakwatch', 'leakwatch-alloc', 'prom-client'];

/** The modes that attach the probe with `-r register.js`. */
export function isProbeMode(mode: BenchMode): boolean {
  return mode === 'leakwatch' || mode === 'leakwatch-alloc';
}

/** server -> bench, once listening. */
export interface ServerReady {
  type: 'ready';
  port: number;
}

/** bench -> server: report counters now; `gc` forces full GCs first (memory readings only). */
export interface MarkRequest {
  type: 'mark';
  gc: boolean;
}

/** server -> bench, the answer to a MarkRequest. */
export interface ServerMark {
  type: 'mark';
  /** performance.now() in the server, ms. */
  atMs: number;
  /** process.cpuUsage() user + system, µs: every thread of the server, the probe's included. */
  cpuUs: number;
  /** Workload requests answered so far (scrapes of /metrics are not counted). */
  requests: number;
  rss: number;
  heapUsed: number;
}

/**
 * bench -> load generator: open the connections, put the load on one server (the others' sockets
 * idle), or stop and report.
 */
export type LoadCommand = { type: 'connect'; ports: number[] } | { type: 'drive'; port: number } | { type: 'stop' };

/** load generator -> bench: every connection is open. */
export interface LoadConnected {
  type: 'connected';
}

/** load generator -> bench, after `stop`: totals over all servers. */
export interface LoadResult {
  type: 'load-result';
  completed: number;
  errors: number;
}
