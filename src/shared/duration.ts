import { LeakwatchError } from './errors';

/**
 * The one rule for every duration a user types (CLI flags, leakwatch.config.json, LEAKWATCH_*
 * variables, the verdict API's query parameters): a number with a unit, `ms`, `s`, `m`, `h` or
 * `d`, or a bare number, read as SECONDS, as timeout(1), sleep(1) and systemd read one. A bare
 * number used to mean milliseconds here, so `--duration 600` stopped a soak after 0.6 s.
 *
 * Numbers handed over in code (`startProbe({ interval: 1000 })`) are milliseconds: an option
 * that takes one says so in its doc comment.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Node's setTimeout keeps a delay of at most 2^31-1 ms (about 24.8 days); a longer one fires at
 * once after a TimeoutOverflowWarning, which would turn `--duration 30d` into "stop now".
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The bound of spans that are compared with data rather than waited for (warm-up, minimum run). */
export const MAX_SPAN_MS = 365 * UNIT_MS.d!;

/** What `--help` says once per command, after its options, naming the settings that take a duration. */
export function durationHelp(settings: readonly string[]): string {
  return `\nDurations (${settings.join(', ')}) are a number with a unit (500ms, 30s, 10m, 2h, 1d) or a bare number of seconds (600 is ten minutes).`;
}

export interface DurationRule {
  /** Least accepted value in ms other than 0 (default 1 ms). */
  min?: number;
  /** Largest accepted value in ms (default MAX_TIMER_MS). */
  max?: number;
  /**
   * What 0 means where it is accepted ("off", "no minimum"); without it 0 is refused, because a
   * zero interval, duration or timeout is a typo rather than a wish.
   */
  zero?: string;
}

/** 1000 -> "1s", 90000 -> "90s", 600000 -> "10m": a bound as a user would type it. */
export function durationText(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) if (ms >= UNIT_MS[unit]! && ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  return `${ms}ms`;
}

/** The value as typed, quoted and escaped so the error stays one line, and cut so it stays short. */
function shown(input: string | number): string {
  if (typeof input === 'number') return String(input);
  return JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
}

function refuse(what: string, problem: string, input: string | number): never {
  throw new LeakwatchError('LW_ERR_CONFIG', `${what}: ${problem}, got ${shown(input)}`);
}

function toMs(input: string | number, what: string): number {
  if (typeof input === 'number') {
    if (Number.isNaN(input)) refuse(what, 'expected a number of milliseconds', input);
    if (input < 0) refuse(what, 'must not be negative', input);
    return input;
  }
  const text = input.trim();
  const match = /^(-?)(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text);
  if (!match) refuse(what, 'expected a duration such as 500ms, 30s, 10m or 2h (a bare number is seconds)', input);
  if (match[1] === '-') refuse(what, 'must not be negative', input);
  return Math.round(Number(match[2]) * UNIT_MS[match[3] ?? 's']!);
}

/**
 * Parses a duration into milliseconds (see the rule above); `what` names the flag or variable so
 * the one-line error says which value to fix. Values above `rule.max` are refused, never capped:
 * a silent cap would run something the user did not ask for.
 */
export function parseDuration(input: string | number, what: string, rule: DurationRule = {}): number {
  const ms = toMs(input, what);
  const min = Math.max(1, rule.min ?? 1);
  const max = rule.max ?? MAX_TIMER_MS;
  if (ms === 0) {
    if (rule.zero !== undefined) return 0;
    refuse(what, min > 1 ? `must be at least ${durationText(min)}` : 'must be more than 0', input);
  }
  if (ms < min) refuse(what, rule.zero !== undefined ? `must be 0 (${rule.zero}) or at least ${durationText(min)}` : `must be at least ${durationText(min)}`, input);
  if (!(ms <= max)) {
    const why = max === MAX_TIMER_MS ? ' (about 24.8 days, the longest delay a Node.js timer keeps)' : '';
    refuse(what, `must be at most ${durationText(max)}${why}`, input);
  }
  return ms;
}

/** The form a parsed duration travels in through LEAKWATCH_* variables: explicit milliseconds. */
export function durationEnv(ms: number): string {
  return `${ms}ms`;
}
