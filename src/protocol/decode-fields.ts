import { LeakwatchError } from '../shared/errors';
import { CLOSE_CODES, type CloseErrorCode } from './close-codes';
import { MAX_MESSAGE_BYTES, PROTOCOL_VERSION } from './messages';

/** Field checks shared by the decoders: each throws ProtocolError with LW_ERR_PROTOCOL_INVALID. */

/** A message the collector cannot accept; `closeCode` is what the connection is closed with. */
export class ProtocolError extends LeakwatchError {
  readonly closeCode: number;
  constructor(code: CloseErrorCode, message: string) {
    super(code, message);
    this.closeCode = CLOSE_CODES[code];
  }
}

/** Guards against absurd timestamps (before 2000 or after 2200) that would land in odd partitions. */
export const MIN_TS = 946_684_800_000;
export const MAX_TS = 7_258_118_400_000;
export const MAX_ROWS_PER_BATCH = 10_000;
export const MAX_STRING = 4096;

/*
 * Ranges of the store's columns (src/store/migrations.ts). A number the column cannot hold would
 * fail the whole insert it shares with other probes' rows, or wrap silently, so it is refused
 * here, naming the field. 64-bit integers stop at 2^53 - 1: beyond it a JS number is no longer
 * exact, and no process has that many bytes.
 */
export const MAX_UINT64 = Number.MAX_SAFE_INTEGER;
export const MAX_UINT32 = 0xffff_ffff;
/** Float64 durations (event-loop delay, GC pause, capture time): a day is already absurd for one of them. */
export const MAX_DURATION_MS = 86_400_000;

export function invalid(detail: string): never {
  throw new ProtocolError('LW_ERR_PROTOCOL_INVALID', detail);
}

/** A finite number its column cannot hold (negative into unsigned, too large, a time far off). */
export function outOfRange(detail: string): never {
  throw new ProtocolError('LW_ERR_PROTOCOL_RANGE', detail);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finite(obj: Record<string, unknown>, key: string, where: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${where}.${key} must be a finite number`);
  return value;
}

/** A non-negative number of at most `max` (an unsigned column: UInt64 by default). */
export function num(obj: Record<string, unknown>, key: string, where: string, max = MAX_UINT64): number {
  const value = finite(obj, key, where);
  if (value < 0 || value > max) outOfRange(`${where}.${key} = ${value} is outside 0..${max}`);
  return value;
}

/** A duration in milliseconds for a Float64 column: finite, 0..MAX_DURATION_MS. */
export function duration(obj: Record<string, unknown>, key: string, where: string): number {
  return num(obj, key, where, MAX_DURATION_MS);
}

/**
 * Epoch milliseconds for a DateTime64 column: between 2000 and 2200 always and, when the
 * caller gives its clock, within `window` of it, so one message cannot spread its rows over
 * hundreds of monthly partitions (an insert touching more than ClickHouse allows fails whole).
 */
export function ts(obj: Record<string, unknown>, key: string, where: string, clock?: TimeWindow): number {
  const value = finite(obj, key, where);
  if (value < MIN_TS || value > MAX_TS) outOfRange(`${where}.${key} = ${value} is not a plausible epoch-milliseconds time`);
  if (clock && (value < clock.now - clock.pastMs || value > clock.now + clock.futureMs)) {
    outOfRange(`${where}.${key} = ${value} is too far from the collector's clock (${clock.now})`);
  }
  return value;
}

/** The span around the collector's clock a probe's times must fall in. */
export interface TimeWindow {
  now: number;
  pastMs: number;
  futureMs: number;
}

export function str(obj: Record<string, unknown>, key: string, where: string, max = MAX_STRING): string {
  const value = obj[key];
  if (typeof value !== 'string' || value.length > max) invalid(`${where}.${key} must be a string of at most ${max} characters`);
  return value;
}

export function id(obj: Record<string, unknown>, key: string): string {
  const value = str(obj, key, 'message', 64);
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) invalid(`message.${key} must be 1-64 characters of [A-Za-z0-9_.-]`);
  return value;
}

/** Parses one frame and checks the envelope; throws ProtocolError with the matching close code. */
export function parseEnvelope(data: Buffer | string, isBinary: boolean): Record<string, unknown> {
  if (isBinary) throw new ProtocolError('LW_ERR_PROTOCOL_JSON', 'binary frames are not accepted on this endpoint');
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (Buffer.byteLength(text) > MAX_MESSAGE_BYTES) throw new ProtocolError('LW_ERR_PROTOCOL_TOO_BIG', `frame larger than ${MAX_MESSAGE_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ProtocolError('LW_ERR_PROTOCOL_JSON', 'frame is not valid JSON');
  }
  if (!isRecord(parsed)) throw new ProtocolError('LW_ERR_PROTOCOL_JSON', 'frame is not a JSON object');
  if (parsed.v !== PROTOCOL_VERSION) {
    throw new ProtocolError('LW_ERR_PROTOCOL_VERSION', `unsupported protocol version ${JSON.stringify(parsed.v)} (this collector speaks ${PROTOCOL_VERSION})`);
  }
  return parsed;
}
