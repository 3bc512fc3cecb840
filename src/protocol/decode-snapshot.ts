import type { SnapshotTrigger } from '../shared/snapshot-data';
import { PROTOCOL_VERSION } from './messages';
import { ProtocolError, duration, id, invalid, isRecord, num, parseEnvelope, str, ts, type TimeWindow } from './decode-fields';
import type {
  SnapshotBeginMessage,
  SnapshotEndMessage,
  SnapshotRequestMessage,
  SnapshotStatusMessage,
  SnapshotStoredMessage,
} from './snapshot-messages';

const TRIGGERS: ReadonlySet<string> = new Set<SnapshotTrigger>(['manual', 'schedule', 'growth', 'near-limit']);
const STATUS_STATES: ReadonlySet<string> = new Set(['capturing', 'refused', 'busy', 'failed']);
/** Largest snapshot the collector accepts: far above anything V8 can write on one machine today. */
export const MAX_SNAPSHOT_BYTES = 64 * 1024 ** 4;

function trigger(raw: Record<string, unknown>, where: string): SnapshotTrigger {
  const value = raw.trigger;
  if (typeof value !== 'string' || !TRIGGERS.has(value)) invalid(`${where}.trigger must be one of ${[...TRIGGERS].join(', ')}`);
  return value as SnapshotTrigger;
}

function int(raw: Record<string, unknown>, key: string, where: string, max = Number.MAX_SAFE_INTEGER): number {
  const value = num(raw, key, where, max);
  if (!Number.isInteger(value)) invalid(`${where}.${key} must be an integer`);
  return value;
}

/** Error code of a refusal or failure: empty, or an LW_ERR_ name (the probe's own, not trusted further). */
function errorCode(raw: Record<string, unknown>, where: string): string {
  const value = str(raw, 'errorCode', where, 64);
  if (value !== '' && !/^LW_ERR_[A-Z_]{1,56}$/.test(value)) invalid(`${where}.errorCode must be empty or an LW_ERR_ code`);
  return value;
}

/** Validates the `snapshot-status` part of a probe message whose envelope is already checked. */
export function decodeSnapshotStatus(raw: Record<string, unknown>, base: { v: number; run: string; boot: string; seq: number }, clock?: TimeWindow): SnapshotStatusMessage {
  const where = 'snapshot-status';
  const state = raw.state;
  if (typeof state !== 'string' || !STATUS_STATES.has(state)) invalid(`${where}.state must be one of ${[...STATUS_STATES].join(', ')}`);
  const requestId = str(raw, 'requestId', where, 64);
  if (requestId !== '' && !/^[A-Za-z0-9_.-]{1,64}$/.test(requestId)) invalid(`${where}.requestId must be empty or 1-64 characters of [A-Za-z0-9_.-]`);
  return {
    ...base,
    type: 'snapshot-status',
    state: state as SnapshotStatusMessage['state'],
    snapshotId: id(raw, 'snapshotId'),
    requestId,
    trigger: trigger(raw, where),
    at: ts(raw, 'at', where, clock),
    heapUsed: num(raw, 'heapUsed', where),
    estimatedBytes: num(raw, 'estimatedBytes', where),
    availableBytes: num(raw, 'availableBytes', where),
    reason: str(raw, 'reason', where, 1024),
    errorCode: errorCode(raw, where),
  };
}

/** Decodes a collector -> probe `snapshot-request` (already JSON-parsed); null when malformed. */
export function decodeSnapshotRequest(raw: Record<string, unknown>): SnapshotRequestMessage | null {
  const requestId = raw.requestId;
  if (typeof requestId !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(requestId)) return null;
  return { v: PROTOCOL_VERSION, type: 'snapshot-request', requestId };
}

/** Decodes a text frame of an upload connection: `snapshot-begin` or `snapshot-end`. */
export function decodeUploadMessage(data: Buffer | string): SnapshotBeginMessage | SnapshotEndMessage {
  const raw = parseEnvelope(data, false);
  if (raw.type === 'snapshot-begin') {
    const where = 'snapshot-begin';
    return {
      v: PROTOCOL_VERSION,
      type: 'snapshot-begin',
      run: id(raw, 'run'),
      boot: id(raw, 'boot'),
      snapshotId: id(raw, 'snapshotId'),
      trigger: trigger(raw, where),
      takenAt: ts(raw, 'takenAt', where),
      captureMs: duration(raw, 'captureMs', where),
      heapUsed: num(raw, 'heapUsed', where),
      size: int(raw, 'size', where, MAX_SNAPSHOT_BYTES),
    };
  }
  if (raw.type === 'snapshot-end') {
    const where = 'snapshot-end';
    const sha256 = str(raw, 'sha256', where, 64);
    if (!/^[0-9a-f]{64}$/.test(sha256)) invalid(`${where}.sha256 must be 64 lowercase hex digits`);
    return {
      v: PROTOCOL_VERSION,
      type: 'snapshot-end',
      snapshotId: id(raw, 'snapshotId'),
      size: int(raw, 'size', where, MAX_SNAPSHOT_BYTES),
      chunks: int(raw, 'chunks', where),
      sha256,
    };
  }
  throw new ProtocolError('LW_ERR_PROTOCOL_TYPE', `unknown upload message type ${JSON.stringify(raw.type)?.slice(0, 40)}`);
}

/** Decodes the collector's answer on an upload connection; null when it is anything else. */
export function decodeSnapshotStored(data: Buffer | string): SnapshotStoredMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    return null;
  }
  if (!isRecord(parsed) || parsed.v !== PROTOCOL_VERSION || parsed.type !== 'snapshot-stored' || typeof parsed.snapshotId !== 'string') return null;
  return { v: PROTOCOL_VERSION, type: 'snapshot-stored', snapshotId: parsed.snapshotId };
}
