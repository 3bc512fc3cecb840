import { MAX_STRING, invalid, isRecord, num, str, ts, type TimeWindow } from './decode-fields';
import type { Envelope } from './envelope';
import {
  MAX_DEPENDENCY_NAME,
  MAX_DEPENDENCY_VERSION,
  MAX_LINEAGE_DEPENDENCIES,
  MAX_LINEAGE_NOTES,
  type LineageDependency,
  type LineageMessage,
  type LockKind,
} from './lineage-messages';

type Base = Omit<Envelope, 'type'>;

const LOCK_KINDS: ReadonlySet<string> = new Set<LockKind>(['package-lock', 'yarn', 'pnpm', '']);
/** sha1 or sha256 object names, or nothing. */
const COMMIT = /^([0-9a-f]{40}|[0-9a-f]{64})?$/;
const SHA256 = /^([0-9a-f]{64})?$/;

function dependency(raw: unknown, i: number): LineageDependency {
  const at = `lineage.dependencies[${i}]`;
  if (!isRecord(raw)) invalid(`${at} must be an object`);
  const name = str(raw, 'name', at, MAX_DEPENDENCY_NAME);
  if (name.length === 0) invalid(`${at}.name must not be empty`);
  if (typeof raw.direct !== 'boolean') invalid(`${at}.direct must be a boolean`);
  return { name, version: str(raw, 'version', at, MAX_DEPENDENCY_VERSION), direct: raw.direct, range: str(raw, 'range', at, MAX_DEPENDENCY_VERSION) };
}

/** Checks every field's type and size; the frame limit (1 MiB) bounds the whole. */
export function decodeLineage(raw: Record<string, unknown>, base: Base, clock?: TimeWindow): LineageMessage {
  const where = 'lineage';
  const deps = raw.dependencies;
  if (!Array.isArray(deps) || deps.length > MAX_LINEAGE_DEPENDENCIES) invalid(`${where}.dependencies must be an array of at most ${MAX_LINEAGE_DEPENDENCIES} items`);
  const notes = raw.notes;
  if (!Array.isArray(notes) || notes.length > MAX_LINEAGE_NOTES || !notes.every((n) => typeof n === 'string' && n.length <= 512)) {
    invalid(`${where}.notes must be at most ${MAX_LINEAGE_NOTES} strings of at most 512 characters`);
  }
  const gitCommit = str(raw, 'gitCommit', where, 64);
  if (!COMMIT.test(gitCommit)) invalid(`${where}.gitCommit must be 40 or 64 lowercase hex digits, or empty`);
  const lockSha256 = str(raw, 'lockSha256', where, 64);
  if (!SHA256.test(lockSha256)) invalid(`${where}.lockSha256 must be 64 lowercase hex digits, or empty`);
  const lockKind = raw.lockKind;
  if (typeof lockKind !== 'string' || !LOCK_KINDS.has(lockKind)) invalid(`${where}.lockKind must be package-lock, yarn, pnpm or empty`);
  return {
    ...base,
    type: 'lineage',
    at: ts(raw, 'at', where, clock),
    appName: str(raw, 'appName', where, MAX_DEPENDENCY_NAME),
    appVersion: str(raw, 'appVersion', where, MAX_DEPENDENCY_VERSION),
    gitCommit,
    gitBranch: str(raw, 'gitBranch', where, 256),
    lockKind: lockKind as LockKind,
    lockSha256,
    nodeVersion: str(raw, 'nodeVersion', where, 64),
    v8Version: str(raw, 'v8Version', where, 64),
    probeVersion: str(raw, 'probeVersion', where, 64),
    dependencies: deps.map(dependency),
    omitted: num(raw, 'omitted', where, 1e9),
    notes: (notes as string[]).map((n) => n.slice(0, MAX_STRING)),
  };
}
