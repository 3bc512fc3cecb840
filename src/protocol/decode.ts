import type { Gap, GcEvent, GcKind, Sample, SpaceSample } from '../shared/run-data';
import { MAX_ROWS_PER_BATCH, MAX_STRING, MAX_UINT32, ProtocolError, duration, id, invalid, isRecord, num, outOfRange, parseEnvelope, str, ts, type TimeWindow } from './decode-fields';

export { ProtocolError };
import { decodeAllocProfile, decodeSourceMap, decodeWatchReport, decodeWatchRequest } from './decode-alloc';
import { decodeSnapshotRequest, decodeSnapshotStatus } from './decode-snapshot';
import { decodeLineage } from './decode-lineage';
import {
  PROTOCOL_VERSION,
  type BatchMessage,
  type ByeMessage,
  type CollectorMessage,
  type HelloMessage,
  type ProbeMessage,
  type ProcessRole,
  PROCESS_ROLES,
} from './messages';

const SAMPLE_FIELDS = [
  'ts', 'rss', 'heapTotal', 'heapUsed', 'external', 'arrayBuffers', 'heapLimit', 'totalAvailable',
  'mallocedMemory', 'peakMallocedMemory', 'nativeContexts', 'detachedContexts', 'elP50Ms', 'elP99Ms', 'elMaxMs',
] as const satisfies readonly (keyof Sample)[];
/** Sample fields by column type: UInt32 counts and Float64 milliseconds; the rest are UInt64 bytes. */
const SAMPLE_UINT32: ReadonlySet<string> = new Set(['nativeContexts', 'detachedContexts']);
const SAMPLE_MS: ReadonlySet<string> = new Set(['elP50Ms', 'elP99Ms', 'elMaxMs']);
const SPACE_NUMBER_FIELDS = ['ts', 'size', 'used', 'available', 'physical'] as const;
/** How far a probe's times may be from the collector's clock: clocks drift, data is resent, but not for years. */
export const PAST_WINDOW_MS = 400 * 86_400_000;
export const FUTURE_WINDOW_MS = 86_400_000;

export interface DecodeOptions {
  /** The collector's clock: times further than the windows above from it are refused (LW_ERR_PROTOCOL_RANGE). */
  now?: number;
}
const PROBE_TYPES: ReadonlySet<string> = new Set<ProbeMessage['type']>(['hello', 'batch', 'bye', 'snapshot-status', 'alloc-profile', 'source-map', 'watch-report', 'lineage']);
const GC_KINDS: ReadonlySet<string> = new Set<GcKind>(['minor', 'major', 'incremental', 'weakcb', 'unknown']);
function arr(obj: Record<string, unknown>, key: string, where: string): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value) || value.length > MAX_ROWS_PER_BATCH) invalid(`${where}.${key} must be an array of at most ${MAX_ROWS_PER_BATCH} items`);
  return value;
}

function labels(value: unknown): Record<string, string> {
  if (!isRecord(value)) invalid('hello.labels must be an object of strings');
  const out: Record<string, string> = {};
  const entries = Object.entries(value);
  if (entries.length > 64) invalid('hello.labels has more than 64 entries');
  for (const [k, v] of entries) {
    if (typeof v !== 'string' || k.length > 128 || v.length > 1024) invalid(`hello.labels.${k.slice(0, 40)} must be a short string`);
    out[k] = v;
  }
  return out;
}

const ROLES: ReadonlySet<string> = new Set<string>(PROCESS_ROLES);

/** The hello's process identity; each field is optional (older probes send none) and range-checked for its UInt32 column. */
function identity(raw: Record<string, unknown>): Pick<HelloMessage, 'ppid' | 'threadId' | 'role' | 'roleIndex'> {
  const role = raw.role ?? 'process';
  if (typeof role !== 'string' || !ROLES.has(role)) invalid(`hello.role must be one of ${PROCESS_ROLES.join(', ')}`);
  const whole = (key: string): number => {
    if (raw[key] === undefined) return 0;
    const value = num(raw, key, 'hello', MAX_UINT32);
    if (!Number.isInteger(value)) invalid(`hello.${key} must be a whole number`);
    return value;
  };
  return { ppid: whole('ppid'), threadId: whole('threadId'), role: role as ProcessRole, roleIndex: whole('roleIndex') };
}

function sampleField(raw: Record<string, unknown>, key: (typeof SAMPLE_FIELDS)[number], where: string, clock?: TimeWindow): number {
  if (key === 'ts') return ts(raw, key, where, clock);
  if (SAMPLE_MS.has(key)) return duration(raw, key, where);
  return num(raw, key, where, SAMPLE_UINT32.has(key) ? MAX_UINT32 : undefined);
}

function sample(raw: unknown, i: number, clock?: TimeWindow): Sample {
  const where = `samples[${i}]`;
  if (!isRecord(raw)) invalid(`${where} must be an object`);
  const out = {} as Record<(typeof SAMPLE_FIELDS)[number], number>;
  for (const key of SAMPLE_FIELDS) out[key] = sampleField(raw, key, where, clock);
  return out;
}

function space(raw: unknown, i: number, clock?: TimeWindow): SpaceSample {
  const where = `spaces[${i}]`;
  if (!isRecord(raw)) invalid(`${where} must be an object`);
  const out = { space: str(raw, 'space', where, 64) } as SpaceSample;
  for (const key of SPACE_NUMBER_FIELDS) out[key] = key === 'ts' ? ts(raw, key, where, clock) : num(raw, key, where);
  return out;
}

function gc(raw: unknown, i: number, clock?: TimeWindow): GcEvent {
  const where = `gcs[${i}]`;
  if (!isRecord(raw)) invalid(`${where} must be an object`);
  const kind = raw.kind;
  if (typeof kind !== 'string' || !GC_KINDS.has(kind)) invalid(`${where}.kind must be one of ${[...GC_KINDS].join(', ')}`);
  const after = raw.heapUsedAfter;
  if (after !== null) num(raw, 'heapUsedAfter', where);
  const weight = raw.weight === undefined ? 1 : num(raw, 'weight', where);
  if (weight < 1 || weight > 1e6) outOfRange(`${where}.weight = ${weight} is outside 1..1000000`);
  const measured = raw.measured;
  if (measured !== undefined && typeof measured !== 'boolean') invalid(`${where}.measured must be true or false`);
  if (measured === true && (kind !== 'major' || after === null)) invalid(`${where}: a measured point is a major GC with heapUsedAfter`);
  const event: GcEvent = { ts: ts(raw, 'ts', where, clock), kind: kind as GcKind, durationMs: duration(raw, 'durationMs', where), heapUsedAfter: after as number | null, weight };
  if (measured === true) event.measured = true;
  return event;
}

function gap(raw: unknown): Gap | undefined {
  if (raw === undefined) return undefined;
  if (!isRecord(raw)) invalid('batch.gap must be an object');
  return {
    droppedMessages: num(raw, 'droppedMessages', 'gap'),
    droppedSamples: num(raw, 'droppedSamples', 'gap'),
    fromTs: num(raw, 'fromTs', 'gap'),
    toTs: num(raw, 'toTs', 'gap'),
  };
}

/**
 * Decodes and validates a probe -> collector frame. Validation copies only known fields, so an
 * accepted message has exactly the shape the store expects and nothing a probe made up.
 */
export function decodeProbeMessage(data: Buffer | string, isBinary = false, options: DecodeOptions = {}): ProbeMessage {
  const raw = parseEnvelope(data, isBinary);
  const clock = options.now === undefined ? undefined : { now: options.now, pastMs: PAST_WINDOW_MS, futureMs: FUTURE_WINDOW_MS };
  const type = raw.type;
  if (!PROBE_TYPES.has(type as string)) {
    throw new ProtocolError('LW_ERR_PROTOCOL_TYPE', `unknown message type ${JSON.stringify(type)?.slice(0, 40)}`);
  }
  const base = { v: PROTOCOL_VERSION, run: id(raw, 'run'), boot: id(raw, 'boot'), seq: num(raw, 'seq', 'message') };
  if (!Number.isSafeInteger(base.seq)) invalid('message.seq must be an integer');
  if (type === 'hello') {
    if (base.seq !== 0) invalid('hello.seq must be 0');
    const argv = arr(raw, 'argv', 'hello');
    if (argv.length > 256 || !argv.every((a) => typeof a === 'string' && a.length <= MAX_STRING)) invalid('hello.argv must be an array of strings');
    const hello: HelloMessage = {
      ...base,
      type,
      name: str(raw, 'name', 'hello', 256),
      labels: labels(raw.labels),
      pid: num(raw, 'pid', 'hello', MAX_UINT32),
      host: str(raw, 'host', 'hello', 256),
      node: str(raw, 'node', 'hello', 64),
      argv: argv as string[],
      startedAt: ts(raw, 'startedAt', 'hello', clock),
      intervalMs: num(raw, 'intervalMs', 'hello', MAX_UINT32),
      probeVersion: str(raw, 'probeVersion', 'hello', 64),
      ...identity(raw),
    };
    return hello;
  }
  if (base.seq < 1) invalid(`${type}.seq must be at least 1`);
  if (type === 'snapshot-status') return decodeSnapshotStatus(raw, base, clock);
  if (type === 'alloc-profile') return decodeAllocProfile(raw, base, clock);
  if (type === 'source-map') return decodeSourceMap(raw, base);
  if (type === 'watch-report') return decodeWatchReport(raw, base);
  if (type === 'lineage') return decodeLineage(raw, base, clock);
  if (type === 'batch') {
    const batch: BatchMessage = {
      ...base,
      type,
      samples: arr(raw, 'samples', 'batch').map((s, i) => sample(s, i, clock)),
      spaces: arr(raw, 'spaces', 'batch').map((s, i) => space(s, i, clock)),
      gcs: arr(raw, 'gcs', 'batch').map((g, i) => gc(g, i, clock)),
    };
    const g = gap(raw.gap);
    if (g) batch.gap = g;
    return batch;
  }
  if (raw.endsRun !== undefined && typeof raw.endsRun !== 'boolean') invalid('bye.endsRun must be a boolean');
  const bye: ByeMessage = { ...base, type: 'bye', endedAt: ts(raw, 'endedAt', 'bye', clock), reason: str(raw, 'reason', 'bye', 256), endsRun: raw.endsRun !== false };
  return bye;
}

/** Decodes a collector -> probe frame; returns null for anything the probe does not understand. */
export function decodeCollectorMessage(data: Buffer | string): CollectorMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || parsed.v !== PROTOCOL_VERSION) return null;
  if (parsed.type === 'snapshot-request') return decodeSnapshotRequest(parsed);
  if (parsed.type === 'watch-request') return decodeWatchRequest(parsed);
  if (parsed.type !== 'ack') return null;
  if (typeof parsed.run !== 'string' || typeof parsed.boot !== 'string' || !Number.isSafeInteger(parsed.seq)) return null;
  return { v: PROTOCOL_VERSION, type: 'ack', run: parsed.run, boot: parsed.boot, seq: parsed.seq as number };
}
