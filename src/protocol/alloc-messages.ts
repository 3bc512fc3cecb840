import type { Envelope } from './envelope';

/**
 * Allocation sampling, source maps and suspect watching: additive message types of wire
 * protocol version 1, all over the probe's ingest connection, seq'd and acked like a batch.
 *
 * - `alloc-profile` (probe -> collector, every minute by default): V8's sampling heap profile
 *   (`HeapProfiler.getSamplingProfile`) flattened into sites. The profile holds the sampled
 *   objects still alive, so each message is the live state at `at`, not a delta; a site whose
 *   live bytes keep rising from one message to the next is what leaks.
 * - `source-map` (probe -> collector, once per map and boot): a script's source map, in parts,
 *   for collectors that cannot read the app's files; deduplicated by sha256 in the collector.
 * - `watch-request` (collector -> probe) / `watch-report` (probe -> collector): watch one
 *   suspect container, by its heap object id, for a bounded time and sample who adds to it.
 */

/** Largest number of sites, and of distinct frames, in one `alloc-profile`. */
export const MAX_ALLOC_SITES = 200;
export const MAX_ALLOC_FRAMES = 4000;
/** Largest stack (frames per site) a probe may send: V8's own default maximum depth. */
export const MAX_ALLOC_STACK = 128;

/**
 * One stack frame as V8's profiler names it. `line` and `col` are 1-based and are where the
 * *function* starts (V8's sampling heap profiler records the function, not the allocating
 * statement); `url` is the script as V8 knows it (a file path, a file:// URL, node:internal…).
 */
export interface AllocFrame {
  fn: string;
  url: string;
  line: number;
  col: number;
}

/** One site: a distinct stack (indices into the message's `frames`, allocating function first). */
export interface AllocSiteSample {
  stack: number[];
  /** Bytes of the sampled objects allocated here that are still alive, and how many samples. */
  liveBytes: number;
  samples: number;
}

export interface AllocProfileMessage extends Envelope {
  type: 'alloc-profile';
  /** When the profile was read (epoch ms), and when sampling started in this boot. */
  at: number;
  startedAt: number;
  /** The profiler's mean sampling interval (bytes) and stack depth. */
  intervalBytes: number;
  stackDepth: number;
  frames: AllocFrame[];
  /** Largest live bytes first, at most MAX_ALLOC_SITES. */
  sites: AllocSiteSample[];
  /** What did not fit: how many sites, their live bytes and samples. */
  other: { sites: number; liveBytes: number; samples: number };
}

/** Parts of at most this many characters; a map of at most MAX_SOURCE_MAP_BYTES in all. */
export const SOURCE_MAP_PART_CHARS = 256 * 1024;
export const MAX_SOURCE_MAP_BYTES = 16 * 1024 * 1024;

export interface SourceMapMessage extends Envelope {
  type: 'source-map';
  /** The script the map belongs to, as V8 names it in frames and snapshots. */
  url: string;
  /**
   * Where the map was on the app's machine (a file:// URL; the script's own URL for an inline
   * map): its relative `sources` resolve from there. Absent from older probes: then the script's url.
   */
  mapUrl?: string;
  /** sha256 (lowercase hex) of the whole map text. */
  sha256: string;
  /** 0-based part index, and the number of parts. */
  part: number;
  parts: number;
  data: string;
}

/** Collector -> probe: watch one container for `durationMs` and sample the callers that add to it. */
export interface WatchRequestMessage {
  v: number;
  type: 'watch-request';
  requestId: string;
  /** The container's V8 heap object id (its node id in the snapshots). */
  objectId: number;
  /** The container kind as the suspects name it (map, set, array, listeners, object). */
  kind: string;
  durationMs: number;
  /** Stop sampling after this many stacks (the watch stays cheap on a hot container). */
  maxStacks: number;
}

export interface WatchReportMessage extends Envelope {
  type: 'watch-report';
  requestId: string;
  objectId: number;
  /** `done`: watched until its time or stack budget; `failed`: not found, not hookable, error. */
  state: 'done' | 'failed';
  reason: string;
  /** Mutator calls seen, and how many of them had their stack sampled. */
  calls: number;
  sampled: number;
  watchedMs: number;
  frames: AllocFrame[];
  /** Distinct caller stacks (indices into `frames`, caller first), the mutator, and how often. */
  stacks: { stack: number[]; method: string; count: number }[];
}
