/**
 * IPC between the ingest benchmark and its collector process. The collector's CPU and RSS are
 * read inside that process (process.cpuUsage covers every thread, the embedded engine's too), so
 * they are its own and not the load generator's.
 */

/** collector -> bench, once listening. */
export interface CollectorReady {
  type: 'ready';
  /** ws://127.0.0.1:port/ingest */
  ingestUrl: string;
}

/** bench -> collector. `mark` starts a measured interval (and ends the previous one). */
export type CollectorCommand =
  | { type: 'mark' }
  | { type: 'count'; runPrefix: string }
  | { type: 'direct'; runPrefix: string; probes: number }
  | { type: 'stop' };

/** collector -> bench: the interval since the previous mark. */
export interface CollectorMark {
  type: 'mark';
  /** process.cpuUsage() user + system since the previous mark, µs. */
  cpuUs: number;
  wallMs: number;
  /** Highest RSS seen since the previous mark (sampled every 250 ms) and RSS now, bytes. */
  peakRss: number;
  rss: number;
  /** Row counts of the inserts the collector's writer made since the previous mark, in order. */
  batchRows: number[];
}

/** collector -> bench: what the store holds for the runs named `<runPrefix>-*`. */
export interface CollectorCount {
  type: 'count';
  runs: number;
  samples: number;
}

/**
 * collector -> bench: the direct baseline. The writer's batches since the ingest mark, replayed
 * with `store.insertRows` one after another, built from the same frames (decoded beforehand);
 * only the inserts are timed and their CPU counted.
 */
export interface DirectResult {
  type: 'direct';
  batches: number;
  messages: number;
  rows: number;
  insertMs: number;
  cpuUs: number;
}
