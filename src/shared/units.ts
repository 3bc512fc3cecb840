import { LeakwatchError } from './errors';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses "500ms", "1s", "30m", "2h", "7d" or a bare number of milliseconds.
 * `what` names the flag or variable in the error so the user knows which value to fix.
 */
export function parseDuration(input: string | number, what: string): number {
  if (typeof input === 'number') {
    if (Number.isFinite(input) && input >= 0) return input;
  } else {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input);
    if (match) return Math.round(Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']);
  }
  throw new LeakwatchError('LW_ERR_CONFIG', `${what}: expected a duration such as 500ms, 1s, 30m or 2h, got "${input}"`);
}

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
