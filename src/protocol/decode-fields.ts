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

export function invalid(detail: string): never {
  throw new ProtocolError('LW_ERR_PROTOCOL_INVALID', detail);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function num(obj: Record<string, unknown>, key: string, where: string): number {
  const value = obj[key];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) invalid(`${where}.${key} must be a non-negative number`);
  return value;
}

export function ts(obj: Record<string, unknown>, key: string, where: string): number {
  const value = num(obj, key, where);
  if (value < MIN_TS || value > MAX_TS) invalid(`${where}.${key} is not a plausible epoch-milliseconds time`);
  return value;
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
