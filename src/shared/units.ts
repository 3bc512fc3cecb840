import { LeakwatchError } from './errors';

// Durations have a file of their own (one rule everywhere); re-exported for the existing imports.
export { parseDuration, type DurationRule } from './duration';

/** Parses `k=v` pairs (from repeated `--label k=v` or a comma-separated `LEAKWATCH_LABELS`). */
export function parseLabels(pairs: readonly string[], what: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of pairs) {
    const pair = raw.trim();
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected key=value, got "${pair}"`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

/** Parses a positive integer flag such as `--port` or `--retention-days`. */
export function parseInteger(input: string, what: string, min: number, max: number): number {
  const value = /^\s*\d+\s*$/.test(input) ? Number(input) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected a whole number from ${min} to ${max}, got "${input}"`);
  }
  return value;
}

/**
 * Parses a share such as "50%", "0.5" or 0.5 into a fraction (0.5). `max` bounds the fraction
 * (1 for a share of a limit; larger for growth, where "200%" means tripling).
 */
export function parseShare(input: string | number, what: string, max: number): number {
  let value = Number.NaN;
  if (typeof input === 'number') value = input;
  else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(%)?\s*$/.exec(input);
    if (match) value = match[2] ? Number(match[1]) / 100 : Number(match[1]);
  }
  if (!Number.isFinite(value) || value <= 0 || value > max) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected a share above 0 and at most ${max * 100}%, such as 50% or 0.5, got "${input}"`);
  }
  return value;
}

const RATE_UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** A growth rate such as "1MB/h", "500KB/h" or "2 GB/h" (binary units), in bytes per hour. */
export function parseRatePerHour(input: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)\s*\/\s*h\s*$/i.exec(input);
  if (!match) throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected a rate such as 1MB/h, got "${input}"`);
  return Number(match[1]) * RATE_UNITS[match[2].toLowerCase()];
}

const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/**
 * A byte size such as "512KiB", "512k", "1MiB", "1m" or a bare number of bytes (as Node's
 * --heap-prof-interval takes it). Every unit is 1024-based (k, kb and kib all mean 1024 bytes):
 * V8's sampling interval is a power-of-two habit, and one meaning per letter is less surprising
 * than telling kB from KiB. Whole bytes, from `min` to `max`.
 */
export function parseByteSize(input: string | number, what: string, min: number, max: number): number {
  let value = Number.NaN;
  if (typeof input === 'number') value = input;
  else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(input);
    const unit = match?.[2]?.toLowerCase() ?? 'b';
    // Fractions only of a unit ("1.5m"): a fraction of a byte is a typo.
    if (match && BYTE_UNITS[unit] !== undefined && (unit !== 'b' || !match[1]!.includes('.'))) value = Math.round(Number(match[1]) * BYTE_UNITS[unit]!);
  }
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected a size from ${sizeText(min)} to ${sizeText(max)} such as 512KiB, 512k, 1MiB or 65536, got "${input}"`);
  }
  return value;
}

/** 1024 -> "1KiB", 1536 -> "1536B": a bound as a user would type it. */
function sizeText(bytes: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  return `${bytes}B`;
}

const SWITCH_OFF = new Set(['0', 'off', 'false', 'no']);
const SWITCH_ON = new Set(['1', 'on', 'true', 'yes']);

/** An on/off setting: true/false, or "1/on/true/yes" and "0/off/false/no" from the environment. */
export function parseSwitch(input: string | boolean, what: string): boolean {
  if (typeof input === 'boolean') return input;
  const text = String(input).trim().toLowerCase();
  if (SWITCH_OFF.has(text)) return false;
  if (SWITCH_ON.has(text)) return true;
  throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected on or off (1/0, true/false), got "${input}"`);
}
