import { MAX_STRING, MAX_UINT32, invalid, isRecord, num, str, ts, type TimeWindow } from './decode-fields';
import type { Envelope } from './envelope';
import {
  MAX_ALLOC_FRAMES,
  MAX_ALLOC_SITES,
  MAX_ALLOC_STACK,
  MAX_SOURCE_MAP_BYTES,
  SOURCE_MAP_PART_CHARS,
  type AllocFrame,
  type AllocProfileMessage,
  type SourceMapMessage,
  type WatchReportMessage,
  type WatchRequestMessage,
} from './alloc-messages';

type Base = Omit<Envelope, 'type'>;

/** Positions, counts and sizes beyond this are absurd for one process (and would not fit a UInt64 column's meaning). */
const MAX_COUNT = Number.MAX_SAFE_INTEGER;
const SHA256 = /^[0-9a-f]{64}$/;

function int(obj: Record<string, unknown>, key: string, where: string, max = MAX_COUNT): number {
  const value = num(obj, key, where, max);
  if (!Number.isInteger(value)) invalid(`${where}.${key} must be a whole number`);
  return value;
}

function list(obj: Record<string, unknown>, key: string, where: string, max: number): unknown[] {
  const value = obj[key];
  if (!Array.isArray(value) || value.length > max) invalid(`${where}.${key} must be an array of at most ${max} items`);
  return value;
}

function frames(raw: Record<string, unknown>, where: string): AllocFrame[] {
  return list(raw, 'frames', where, MAX_ALLOC_FRAMES).map((f, i) => {
    const at = `${where}.frames[${i}]`;
    if (!isRecord(f)) invalid(`${at} must be an object`);
    return { fn: str(f, 'fn', at, 1024), url: str(f, 'url', at, MAX_STRING), line: int(f, 'line', at, 1e9), col: int(f, 'col', at, 1e9) };
  });
}

function stack(value: unknown, frameCount: number, at: string): number[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_ALLOC_STACK) invalid(`${at}.stack must be 1-${MAX_ALLOC_STACK} frame indices`);
  for (const index of value) {
    if (!Number.isSafeInteger(index) || (index as number) < 0 || (index as number) >= frameCount) invalid(`${at}.stack names a frame that is not in frames`);
  }
  return value as number[];
}

export function decodeAllocProfile(raw: Record<string, unknown>, base: Base, clock?: TimeWindow): AllocProfileMessage {
  const where = 'alloc-profile';
  const table = frames(raw, where);
  const sites = list(raw, 'sites', where, MAX_ALLOC_SITES).map((s, i) => {
    const at = `${where}.sites[${i}]`;
    if (!isRecord(s)) invalid(`${at} must be an object`);
    return { stack: stack(s.stack, table.length, at), liveBytes: int(s, 'liveBytes', at), samples: int(s, 'samples', at) };
  });
  const other = raw.other;
  if (!isRecord(other)) invalid(`${where}.other must be an object`);
  return {
    ...base,
    type: 'alloc-profile',
    at: ts(raw, 'at', where, clock),
    startedAt: ts(raw, 'startedAt', where, clock),
    intervalBytes: int(raw, 'intervalBytes', where, 1 << 30),
    stackDepth: int(raw, 'stackDepth', where, 1024),
    frames: table,
    sites,
    // site_count is a UInt32 column.
    other: { sites: int(other, 'sites', `${where}.other`, MAX_UINT32), liveBytes: int(other, 'liveBytes', `${where}.other`), samples: int(other, 'samples', `${where}.other`) },
  };
}

export function decodeSourceMap(raw: Record<string, unknown>, base: Base): SourceMapMessage {
  const where = 'source-map';
  const sha256 = str(raw, 'sha256', where, 64);
  if (!SHA256.test(sha256)) invalid(`${where}.sha256 must be 64 lowercase hex digits`);
  const parts = int(raw, 'parts', where, Math.ceil(MAX_SOURCE_MAP_BYTES / SOURCE_MAP_PART_CHARS));
  const part = int(raw, 'part', where, 1e6);
  if (parts < 1 || part >= parts) invalid(`${where}.part must be below parts (and parts at least 1)`);
  const message: SourceMapMessage = { ...base, type: 'source-map', url: str(raw, 'url', where, MAX_STRING), sha256, part, parts, data: str(raw, 'data', where, SOURCE_MAP_PART_CHARS) };
  if (raw.mapUrl !== undefined) message.mapUrl = str(raw, 'mapUrl', where, MAX_STRING);
  return message;
}

export function decodeWatchReport(raw: Record<string, unknown>, base: Base): WatchReportMessage {
  const where = 'watch-report';
  const state = raw.state;
  if (state !== 'done' && state !== 'failed') invalid(`${where}.state must be done or failed`);
  const table = frames(raw, where);
  const stacks = list(raw, 'stacks', where, MAX_ALLOC_SITES).map((s, i) => {
    const at = `${where}.stacks[${i}]`;
    if (!isRecord(s)) invalid(`${at} must be an object`);
    return { stack: stack(s.stack, table.length, at), method: str(s, 'method', at, 64), count: int(s, 'count', at) };
  });
  return {
    ...base,
    type: 'watch-report',
    requestId: str(raw, 'requestId', where, 64),
    objectId: int(raw, 'objectId', where),
    state,
    reason: str(raw, 'reason', where, 1024),
    calls: int(raw, 'calls', where),
    sampled: int(raw, 'sampled', where),
    watchedMs: int(raw, 'watchedMs', where),
    frames: table,
    stacks,
  };
}

/** Collector -> probe; null when malformed (the probe ignores what it does not understand). */
export function decodeWatchRequest(parsed: Record<string, unknown>): WatchRequestMessage | null {
  const { requestId, objectId, kind, durationMs, maxStacks } = parsed;
  if (typeof requestId !== 'string' || requestId.length === 0 || requestId.length > 64) return null;
  if (!Number.isSafeInteger(objectId) || (objectId as number) <= 0) return null;
  if (typeof kind !== 'string' || kind.length > 32) return null;
  if (!Number.isSafeInteger(durationMs) || (durationMs as number) <= 0 || (durationMs as number) > 3_600_000) return null;
  if (!Number.isSafeInteger(maxStacks) || (maxStacks as number) <= 0 || (maxStacks as number) > 100_000) return null;
  return { v: parsed.v as number, type: 'watch-request', requestId, objectId: objectId as number, kind, durationMs: durationMs as number, maxStacks: maxStacks as number };
}
