/**
 * Allocation sites and source locations as the collector stores them and the API, CLI and UI read
 * them. Times are epoch milliseconds, sizes bytes, lines and columns 1-based.
 */

/**
 * Where a generated location (a script's line:col) comes from in the user's own sources.
 * `mapped` is false when there is no map (or it could not be read, or has no mapping there); the
 * location is then the generated one and `note` says why.
 */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** The original name at that place when the map has one, else ''. */
  name: string;
  mapped: boolean;
  /** '' when mapped; else why not: 'no source map', 'source map unreadable: …', 'no mapping at this line'. */
  note: string;
}

/** A stack frame of an allocation site, with its source-mapped location. */
export interface SiteFrame {
  fn: string;
  url: string;
  line: number;
  col: number;
  source: SourceLocation;
}

/**
 * One allocation site of one process (boot) over the run: its stack and, per profile the probe
 * sent, the live bytes and samples it had. `line` honesty: V8's sampling heap profiler reports
 * where the allocating *function* starts, so `frames[0]`'s line is that function's first line.
 */
export interface AllocSite {
  /** Stable id of the site within the run (a hash of its stack). */
  siteId: string;
  boot: string;
  /** Allocating function first. */
  frames: SiteFrame[];
  t: number[];
  liveBytes: number[];
  samples: number[];
  /** Robust slope of live bytes (Theil-Sen), bytes per hour, and its Mann-Kendall p-value. */
  slopeBytesPerHour: number;
  pValue: number;
  /** True when live bytes keep rising by the verdict's rules: a suspect site. */
  growing: boolean;
  /** Live bytes gained from the first to the last profile. */
  growthBytes: number;
  /** Ids of the growth suspects (SuspectSummary.id) whose objects this site allocates. */
  suspectIds: number[];
}

/** Who added to a watched suspect container, as the probe sampled it (source-mapped). */
export interface WatchedCaller {
  method: string;
  count: number;
  /** Caller first. */
  frames: SiteFrame[];
}

export interface SuspectWatch {
  run: string;
  boot: string;
  objectId: number;
  /** The container kind as the suspects name it (map, set, array, listeners, object). */
  kind: string;
  /** How the suspects name the container (`responseCache (Map)`), else `object @<id>`. */
  container: string;
  requestedAt: number;
  state: 'watching' | 'done' | 'failed';
  reason: string;
  calls: number;
  sampled: number;
  watchedMs: number;
  callers: WatchedCaller[];
}

/** `path:line` of a frame as a user reads it: the original file when mapped. */
export function frameText(frame: SiteFrame): string {
  const fn = frame.source.name || frame.fn || '(anonymous)';
  return `${frame.source.file}:${frame.source.line} ${fn}()`;
}
