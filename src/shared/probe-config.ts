import fs from 'node:fs';
import { LeakwatchError, type ErrorCode } from './errors';
import { parseByteSize, parseDuration, parseInteger, parseLabels, parseShare, parseSwitch } from './units';

/**
 * Probe configuration, from `startProbe(options)` or from `LEAKWATCH_*` environment variables
 * (the form `leakwatch run` and `node -r leakwatch/register` use). Lives in shared/ because the
 * CLI writes the same variables that the probe reads.
 */
export const PROBE_ENV = {
  collector: 'LEAKWATCH_COLLECTOR',
  token: 'LEAKWATCH_TOKEN',
  /** A file holding the token: children of the app inherit the path, never the secret. */
  tokenFile: 'LEAKWATCH_TOKEN_FILE',
  /** A PEM file of the certificates to trust for a wss:// collector. */
  ca: 'LEAKWATCH_CA',
  runId: 'LEAKWATCH_RUN_ID',
  runName: 'LEAKWATCH_RUN_NAME',
  labels: 'LEAKWATCH_LABELS',
  interval: 'LEAKWATCH_INTERVAL',
  /** Set by `leakwatch run`: the launcher, not the probe, ends the run. */
  managed: 'LEAKWATCH_MANAGED',
  /** Heap snapshot every this long (`30m`); unset or 0: no scheduled snapshots. */
  snapshotEvery: 'LEAKWATCH_SNAPSHOT_EVERY',
  /** Snapshot when the heap floor grew by this share (`50%`, `0.5`) since the last snapshot. */
  snapshotOnGrowth: 'LEAKWATCH_SNAPSHOT_ON_GROWTH',
  /** Snapshot when heap used reaches this share of the heap limit (`0.9`, `90%`). */
  snapshotNearLimit: 'LEAKWATCH_SNAPSHOT_NEAR_LIMIT',
  /** Least time between two growth / near-limit snapshots (default 10m). */
  snapshotMinGap: 'LEAKWATCH_SNAPSHOT_MIN_GAP',
  /** Where snapshot files are written before the upload (default: the OS temp directory). */
  snapshotDir: 'LEAKWATCH_SNAPSHOT_DIR',
  /** Multiplier on the headroom guard's memory estimate (default 1; 0 turns the guard off). */
  snapshotHeadroomFactor: 'LEAKWATCH_SNAPSHOT_HEADROOM_FACTOR',
  /** V8's sampling heap profiler: on unless `0`, `off`, `false` or `no`. */
  allocSampling: 'LEAKWATCH_ALLOC_SAMPLING',
  /** Mean bytes between two allocation samples (`512KiB`, `1m`, a bare number of bytes). */
  allocInterval: 'LEAKWATCH_ALLOC_INTERVAL',
  /** Frames kept per allocation site (1-128). */
  allocStackDepth: 'LEAKWATCH_ALLOC_STACK_DEPTH',
  /** Ship the live-allocation profile every this long (default 60s, at least 1s). */
  allocEvery: 'LEAKWATCH_ALLOC_EVERY',
  /** The least time between two restarts of V8's sampler after heap snapshots (default 30m; alloc-sampler.ts says why). */
  allocEpoch: 'LEAKWATCH_ALLOC_EPOCH',
  /** Upload the source maps of the app's scripts to the collector: on unless `0`/`off`. */
  sourceMapUpload: 'LEAKWATCH_SOURCE_MAP_UPLOAD',
  /** Between two pings to the collector (default 10s, 100ms-15s): a silent connection is dropped after two. */
  heartbeat: 'LEAKWATCH_HEARTBEAT',
} as const;

export const DEFAULT_COLLECTOR_URL = 'ws://127.0.0.1:7070/ingest';
export const MIN_INTERVAL_MS = 100;
/** Scheduled snapshots pause the app for V8's whole write; more often than this is a mistake. */
export const MIN_SNAPSHOT_EVERY_MS = 1000;
/** Default least gap between two triggered (growth, near-limit) snapshots. */
export const DEFAULT_SNAPSHOT_MIN_GAP_MS = 10 * 60_000;
/** Largest growth share accepted ("10000%"): beyond that the trigger could never fire anyway. */
export const MAX_GROWTH_SHARE = 100;
/** V8's sampling heap profiler default in Chrome DevTools and Node's --heap-prof-interval: 512 KiB. */
export const DEFAULT_ALLOC_INTERVAL_BYTES = 512 * 1024;
/**
 * Below 1 KiB nearly every object is sampled (each sample records a stack: the cost of a
 * profiler, not of a probe); above 1 GiB a whole minute may see no sample. The protocol's
 * decoder takes at most 1 GiB too.
 */
export const MIN_ALLOC_INTERVAL_BYTES = 1024;
export const MAX_ALLOC_INTERVAL_BYTES = 1024 ** 3;
export const DEFAULT_ALLOC_STACK_DEPTH = 64;
/** V8's inspector samples 128 frames deep (a constant in V8HeapProfilerAgentImpl::startSampling). */
export const MAX_ALLOC_STACK_DEPTH = 128;
export const DEFAULT_ALLOC_EVERY_MS = 60_000;
/** Each read makes V8 build the whole profile tree on the app's thread; once a second is the floor. */
export const MIN_ALLOC_EVERY_MS = 1000;
/**
 * A sampling epoch (alloc-sampler.ts) lasts at least this long, and at least MIN_ALLOC_EPOCH_PROFILES
 * profiles: the growing-sites judge reads one epoch at a time and needs ten points after its
 * warm-up, so an epoch shorter than that could never name a growing site.
 */
export const DEFAULT_ALLOC_EPOCH_MS = 30 * 60_000;
export const MIN_ALLOC_EPOCH_PROFILES = 15;
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** Two silent heartbeats end a connection: at most 15 s each finds a half-open one within 30 s. */
export const MAX_HEARTBEAT_MS = 15_000;
export const MIN_HEARTBEAT_MS = 100;

export interface ProbeOptions {
  /** Collector endpoint: ws://host:port/ingest (http:// is accepted and converted). */
  collector?: string;
  token?: string;
  /** Read the token from this file (bytes only: it never becomes a JS string until a handshake). */
  tokenFile?: string;
  /** PEM certificates to trust for a wss:// collector (contents), or `caFile` to read them from. */
  ca?: string | Buffer;
  caFile?: string;
  /** Shared by all processes of one `leakwatch run`; a fresh id otherwise. */
  runId?: string;
  runName?: string;
  labels?: Record<string, string>;
  /** Sampling interval in ms or as "1s" (default 1 s, at least 100 ms). */
  interval?: number | string;
  /** True when a launcher owns the run and ends it (see ByeMessage.endsRun). */
  managed?: boolean;
  /** Most messages kept while the collector is unreachable (oldest dropped first). */
  maxQueuedMessages?: number;
  /** Heap snapshot every this long (ms or "30m"); 0 or unset: no scheduled snapshots. */
  snapshotEvery?: number | string;
  /**
   * Snapshot when the heap floor (heap used after a major GC) grew by this share since the last
   * snapshot (0.5 or "50%"); unset: off.
   */
  snapshotOnGrowth?: number | string;
  /** Snapshot when heap used reaches this share of V8's heap limit (0.9 or "90%"); unset: off. */
  snapshotNearLimit?: number | string;
  /** Least time between two growth / near-limit snapshots (ms or "10m"; default 10 min). */
  snapshotMinGap?: number | string;
  /** Directory for the snapshot file while it is written and uploaded (default os.tmpdir()). */
  snapshotDir?: string;
  /**
   * Multiplier on the headroom guard's estimate of the memory V8 needs to write a snapshot
   * (default 1). Above 1 is more careful; 0 turns the guard off.
   */
  snapshotHeadroomFactor?: number | string;
  /** V8's sampling heap profiler for live allocation sites (default on; false or "off" turns it off). */
  allocSampling?: boolean | string;
  /** Mean bytes between allocation samples: 524288 or "512KiB", "512k", "1MiB" (default 512 KiB). */
  allocInterval?: number | string;
  /**
   * Frames kept per allocation site, innermost first (1-128, default 64). V8's inspector always
   * samples 128 frames deep (HeapProfiler.startSampling takes no depth); this is how many of them
   * the probe keeps when it flattens the profile.
   */
  allocStackDepth?: number | string;
  /** Ship the live-allocation profile every this long (ms or "1m"; default 60 s, at least 1 s). */
  allocEvery?: number | string;
  /**
   * The least time between two restarts of V8's sampling heap profiler that follow heap
   * snapshots (ms or "30m"; default 30 min, and at least 15 profile intervals). A restart frees
   * the strings the snapshots left in V8's heap-profiler string table (alloc-sampler.ts).
   */
  allocEpoch?: number | string;
  /** Upload the source maps of the app's scripts to the collector (default on). */
  uploadSourceMaps?: boolean | string;
  /** Between two pings to the collector (ms or "10s"; default 10 s, 100 ms to 15 s). */
  heartbeat?: number | string;
}

export interface ProbeConfig {
  collectorUrl: string;
  /** The probe token's bytes, off the V8 heap so a heap snapshot of the app does not hold it. */
  token: Buffer | undefined;
  ca: Buffer | undefined;
  runId: string | undefined;
  runName: string | undefined;
  labels: Record<string, string>;
  intervalMs: number;
  maxQueuedMessages: number;
  heartbeatMs: number;
  managed: boolean;
  snapshot: SnapshotConfig;
  alloc: AllocSamplingConfig;
  sourceMaps: SourceMapsConfig;
}

export interface AllocSamplingConfig {
  enabled: boolean;
  /** HeapProfiler.startSampling's samplingInterval. */
  intervalBytes: number;
  /** Frames kept per site when flattening (V8 samples 128 deep regardless). */
  stackDepth: number;
  everyMs: number;
  /** Least time between two sampler restarts after heap snapshots (alloc-sampler.ts). */
  epochMs: number;
}

export interface SourceMapsConfig {
  /** Send the app's source maps to the collector (once per script and boot). */
  upload: boolean;
}

export interface SnapshotConfig {
  /** 0: no scheduled snapshots. */
  everyMs: number;
  /** 0: no growth trigger; 0.5: when the heap floor is 1.5x the floor at the last snapshot. */
  growthShare: number;
  /** 0: no near-limit trigger; 0.9: at 90 % of heap_size_limit. */
  nearLimitShare: number;
  minGapMs: number;
  /** undefined: os.tmpdir() at capture time. */
  dir: string | undefined;
  headroomFactor: number;
}

/** ws://host:port[/path]; http(s) becomes ws(s) and a bare host gets the /ingest path. */
export function normaliseCollectorUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.includes('://') ? input : `ws://${input}`);
  } catch {
    throw new LeakwatchError('LW_ERR_CONFIG', `collector URL "${input}" is not a URL (expected ws://host:port/ingest)`);
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new LeakwatchError('LW_ERR_CONFIG', `collector URL "${input}" must start with ws://, wss://, http:// or https://`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/ingest';
  return url.toString();
}

export function resolveProbeConfig(options: ProbeOptions): ProbeConfig {
  const intervalMs = parseDuration(options.interval ?? 1000, 'probe interval');
  if (intervalMs < MIN_INTERVAL_MS) {
    throw new LeakwatchError('LW_ERR_CONFIG', `probe interval must be at least ${MIN_INTERVAL_MS}ms, got ${intervalMs}ms`);
  }
  if (options.runId !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(options.runId)) {
    throw new LeakwatchError('LW_ERR_CONFIG', `run id "${options.runId}" must be 1-64 characters of [A-Za-z0-9_.-]`);
  }
  const heartbeatMs = parseDuration(options.heartbeat ?? DEFAULT_HEARTBEAT_MS, `probe heartbeat (${PROBE_ENV.heartbeat})`);
  if (heartbeatMs < MIN_HEARTBEAT_MS || heartbeatMs > MAX_HEARTBEAT_MS) {
    throw new LeakwatchError('LW_ERR_CONFIG', `probe heartbeat (${PROBE_ENV.heartbeat}) must be between ${MIN_HEARTBEAT_MS}ms and ${MAX_HEARTBEAT_MS / 1000}s, got ${heartbeatMs}ms`);
  }
  return {
    collectorUrl: normaliseCollectorUrl(options.collector ?? DEFAULT_COLLECTOR_URL),
    token: tokenBytes(options),
    ca: caBytes(options),
    runId: options.runId || undefined,
    runName: options.runName || undefined,
    labels: options.labels ?? {},
    intervalMs,
    maxQueuedMessages: Math.max(1, options.maxQueuedMessages ?? 600),
    heartbeatMs,
    managed: options.managed ?? false,
    snapshot: resolveSnapshotConfig(options),
    alloc: resolveAllocConfig(options),
    sourceMaps: { upload: parseSwitch(options.uploadSourceMaps ?? true, `source map upload (LEAKWATCH_SOURCE_MAP_UPLOAD)`) },
  };
}

function readBytes(file: string, what: string, code: ErrorCode): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new LeakwatchError(code, `cannot read the ${what} ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

/** A Buffer of its own (not a slice of the shared pool), trailing whitespace (a file's newline) cut. */
function ownBytes(source: Buffer): Buffer | undefined {
  let end = source.length;
  while (end > 0 && (source[end - 1] === 0x0a || source[end - 1] === 0x0d || source[end - 1] === 0x20 || source[end - 1] === 0x09)) end--;
  if (end === 0) return undefined;
  const bytes = Buffer.allocUnsafeSlow(end);
  source.copy(bytes, 0, 0, end);
  return bytes;
}

function tokenBytes(options: ProbeOptions): Buffer | undefined {
  if (options.token) {
    const read = Buffer.from(options.token, 'utf8');
    const bytes = ownBytes(read);
    read.fill(0);
    return bytes;
  }
  if (!options.tokenFile) return undefined;
  const read = readBytes(options.tokenFile, `token file (${PROBE_ENV.tokenFile})`, 'LW_ERR_CONFIG');
  const bytes = ownBytes(read);
  read.fill(0);
  if (!bytes) throw new LeakwatchError('LW_ERR_CONFIG', `the token file ${options.tokenFile} is empty`);
  return bytes;
}

function caBytes(options: ProbeOptions): Buffer | undefined {
  const ca = options.ca ?? (options.caFile ? readBytes(options.caFile, `CA file (${PROBE_ENV.ca})`, 'LW_ERR_TLS') : undefined);
  if (ca === undefined) return undefined;
  const bytes = Buffer.isBuffer(ca) ? ca : Buffer.from(ca, 'utf8');
  if (!bytes.includes('-----BEGIN CERTIFICATE-----')) throw new LeakwatchError('LW_ERR_TLS', 'the CA must be PEM certificates (-----BEGIN CERTIFICATE-----)');
  return bytes;
}

function resolveAllocConfig(options: ProbeOptions): AllocSamplingConfig {
  const depth = options.allocStackDepth ?? DEFAULT_ALLOC_STACK_DEPTH;
  const depthWhat = `allocation stack depth (--alloc-stack-depth / ${PROBE_ENV.allocStackDepth})`;
  const stackDepth = typeof depth === 'number' ? depth : parseInteger(depth, depthWhat, 1, MAX_ALLOC_STACK_DEPTH);
  if (!Number.isSafeInteger(stackDepth) || stackDepth < 1 || stackDepth > MAX_ALLOC_STACK_DEPTH) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${depthWhat}: expected a whole number from 1 to ${MAX_ALLOC_STACK_DEPTH}, got "${depth}"`);
  }
  const everyWhat = `allocation profile interval (--alloc-every / ${PROBE_ENV.allocEvery})`;
  const everyMs = parseDuration(options.allocEvery ?? DEFAULT_ALLOC_EVERY_MS, everyWhat);
  if (everyMs < MIN_ALLOC_EVERY_MS) throw new LeakwatchError('LW_ERR_CONFIG', `${everyWhat} must be at least ${MIN_ALLOC_EVERY_MS}ms, got ${everyMs}ms`);
  const epochWhat = `allocation sampling epoch (${PROBE_ENV.allocEpoch})`;
  const minEpochMs = MIN_ALLOC_EPOCH_PROFILES * everyMs;
  const epochMs = options.allocEpoch === undefined ? Math.max(DEFAULT_ALLOC_EPOCH_MS, minEpochMs) : parseDuration(options.allocEpoch, epochWhat);
  if (epochMs < minEpochMs) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${epochWhat} must be at least ${MIN_ALLOC_EPOCH_PROFILES} allocation profile intervals (${minEpochMs}ms), got ${epochMs}ms`);
  }
  return {
    enabled: parseSwitch(options.allocSampling ?? true, `allocation sampling (--no-alloc-sampling / ${PROBE_ENV.allocSampling})`),
    intervalBytes: parseByteSize(options.allocInterval ?? DEFAULT_ALLOC_INTERVAL_BYTES, `allocation sampling interval (--alloc-interval / ${PROBE_ENV.allocInterval})`, MIN_ALLOC_INTERVAL_BYTES, MAX_ALLOC_INTERVAL_BYTES),
    stackDepth,
    everyMs,
    epochMs,
  };
}

function resolveSnapshotConfig(options: ProbeOptions): SnapshotConfig {
  const everyMs = parseDuration(options.snapshotEvery ?? 0, 'snapshot interval (--snapshot-every / LEAKWATCH_SNAPSHOT_EVERY)');
  if (everyMs > 0 && everyMs < MIN_SNAPSHOT_EVERY_MS) {
    throw new LeakwatchError('LW_ERR_CONFIG', `snapshot interval must be 0 (off) or at least ${MIN_SNAPSHOT_EVERY_MS}ms, got ${everyMs}ms`);
  }
  const factor = typeof options.snapshotHeadroomFactor === 'string' ? Number(options.snapshotHeadroomFactor.trim() || Number.NaN) : options.snapshotHeadroomFactor ?? 1;
  if (!Number.isFinite(factor) || factor < 0) {
    throw new LeakwatchError('LW_ERR_CONFIG', `snapshot headroom factor must be a number of at least 0, got "${options.snapshotHeadroomFactor}"`);
  }
  if (options.snapshotDir !== undefined && (typeof options.snapshotDir !== 'string' || options.snapshotDir.includes('\0'))) {
    throw new LeakwatchError('LW_ERR_CONFIG', 'snapshot directory must be a path');
  }
  return {
    everyMs,
    growthShare: options.snapshotOnGrowth === undefined ? 0 : parseShare(options.snapshotOnGrowth, 'snapshot growth share (--snapshot-on-growth / LEAKWATCH_SNAPSHOT_ON_GROWTH)', MAX_GROWTH_SHARE),
    nearLimitShare: options.snapshotNearLimit === undefined ? 0 : parseShare(options.snapshotNearLimit, 'snapshot near-limit share (--snapshot-near-limit / LEAKWATCH_SNAPSHOT_NEAR_LIMIT)', 1),
    minGapMs: parseDuration(options.snapshotMinGap ?? DEFAULT_SNAPSHOT_MIN_GAP_MS, 'snapshot minimum gap (LEAKWATCH_SNAPSHOT_MIN_GAP)'),
    dir: options.snapshotDir || undefined,
    headroomFactor: factor,
  };
}

/** Reads the LEAKWATCH_* variables; unset ones keep their defaults. */
export function probeOptionsFromEnv(env: NodeJS.ProcessEnv): ProbeOptions {
  const options: ProbeOptions = {};
  if (env[PROBE_ENV.collector]) options.collector = env[PROBE_ENV.collector];
  if (env[PROBE_ENV.token]) options.token = env[PROBE_ENV.token];
  else if (env[PROBE_ENV.tokenFile]) options.tokenFile = env[PROBE_ENV.tokenFile];
  if (env[PROBE_ENV.ca]) options.caFile = env[PROBE_ENV.ca];
  if (env[PROBE_ENV.runId]) options.runId = env[PROBE_ENV.runId];
  if (env[PROBE_ENV.runName]) options.runName = env[PROBE_ENV.runName];
  if (env[PROBE_ENV.labels]) options.labels = parseLabels(env[PROBE_ENV.labels]!.split(','), PROBE_ENV.labels);
  if (env[PROBE_ENV.interval]) options.interval = env[PROBE_ENV.interval];
  if (env[PROBE_ENV.managed] === '1') options.managed = true;
  if (env[PROBE_ENV.snapshotEvery]) options.snapshotEvery = env[PROBE_ENV.snapshotEvery];
  if (env[PROBE_ENV.snapshotOnGrowth]) options.snapshotOnGrowth = env[PROBE_ENV.snapshotOnGrowth];
  if (env[PROBE_ENV.snapshotNearLimit]) options.snapshotNearLimit = env[PROBE_ENV.snapshotNearLimit];
  if (env[PROBE_ENV.snapshotMinGap]) options.snapshotMinGap = env[PROBE_ENV.snapshotMinGap];
  if (env[PROBE_ENV.snapshotDir]) options.snapshotDir = env[PROBE_ENV.snapshotDir];
  if (env[PROBE_ENV.snapshotHeadroomFactor]) options.snapshotHeadroomFactor = env[PROBE_ENV.snapshotHeadroomFactor];
  if (env[PROBE_ENV.allocSampling]) options.allocSampling = env[PROBE_ENV.allocSampling];
  if (env[PROBE_ENV.allocInterval]) options.allocInterval = env[PROBE_ENV.allocInterval];
  if (env[PROBE_ENV.allocStackDepth]) options.allocStackDepth = env[PROBE_ENV.allocStackDepth];
  if (env[PROBE_ENV.allocEvery]) options.allocEvery = env[PROBE_ENV.allocEvery];
  if (env[PROBE_ENV.allocEpoch]) options.allocEpoch = env[PROBE_ENV.allocEpoch];
  if (env[PROBE_ENV.sourceMapUpload]) options.uploadSourceMaps = env[PROBE_ENV.sourceMapUpload];
  if (env[PROBE_ENV.heartbeat]) options.heartbeat = env[PROBE_ENV.heartbeat];
  return options;
}
