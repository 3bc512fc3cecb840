import { LeakwatchError } from './errors';
import { parseDuration, parseLabels } from './units';

/**
 * Probe configuration, from `startProbe(options)` or from `LEAKWATCH_*` environment variables
 * (the form `leakwatch run` and `node -r leakwatch/register` use). Lives in shared/ because the
 * CLI writes the same variables that the probe reads.
 */
export const PROBE_ENV = {
  collector: 'LEAKWATCH_COLLECTOR',
  token: 'LEAKWATCH_TOKEN',
  runId: 'LEAKWATCH_RUN_ID',
  runName: 'LEAKWATCH_RUN_NAME',
  labels: 'LEAKWATCH_LABELS',
  interval: 'LEAKWATCH_INTERVAL',
  /** Set by `leakwatch run`: the launcher, not the probe, ends the run. */
  managed: 'LEAKWATCH_MANAGED',
} as const;

export const DEFAULT_COLLECTOR_URL = 'ws://127.0.0.1:7070/ingest';
export const MIN_INTERVAL_MS = 100;

export interface ProbeOptions {
  /** Collector endpoint: ws://host:port/ingest (http:// is accepted and converted). */
  collector?: string;
  token?: string;
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
}

export interface ProbeConfig {
  collectorUrl: string;
  token: string | undefined;
  runId: string | undefined;
  runName: string | undefined;
  labels: Record<string, string>;
  intervalMs: number;
  maxQueuedMessages: number;
  managed: boolean;
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
  return {
    collectorUrl: normaliseCollectorUrl(options.collector ?? DEFAULT_COLLECTOR_URL),
    token: options.token || undefined,
    runId: options.runId || undefined,
    runName: options.runName || undefined,
    labels: options.labels ?? {},
    intervalMs,
    maxQueuedMessages: Math.max(1, options.maxQueuedMessages ?? 600),
    managed: options.managed ?? false,
  };
}

/** Reads the LEAKWATCH_* variables; unset ones keep their defaults. */
export function probeOptionsFromEnv(env: NodeJS.ProcessEnv): ProbeOptions {
  const options: ProbeOptions = {};
  if (env[PROBE_ENV.collector]) options.collector = env[PROBE_ENV.collector];
  if (env[PROBE_ENV.token]) options.token = env[PROBE_ENV.token];
  if (env[PROBE_ENV.runId]) options.runId = env[PROBE_ENV.runId];
  if (env[PROBE_ENV.runName]) options.runName = env[PROBE_ENV.runName];
  if (env[PROBE_ENV.labels]) options.labels = parseLabels(env[PROBE_ENV.labels]!.split(','), PROBE_ENV.labels);
  if (env[PROBE_ENV.interval]) options.interval = env[PROBE_ENV.interval];
  if (env[PROBE_ENV.managed] === '1') options.managed = true;
  return options;
}
