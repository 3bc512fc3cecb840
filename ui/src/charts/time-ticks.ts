import { formatClock, formatClockMinutes, formatDay } from '../common/format';

/**
 * Tick positions for a LINEAR x axis holding epoch milliseconds. chart.js would pick "nice"
 * decimal steps (20 000 ms, 50 000 ms …) that land on odd clock times; these steps are clock
 * units instead, aligned to local time, so no date adapter is needed.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [
  SECOND, 2 * SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
  MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
  HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY,
];

/** Picks the smallest clock step that keeps at most `maxTicks` ticks in [min, max]. */
export function pickTimeStep(min: number, max: number, maxTicks: number): number {
  const span = Math.max(1, max - min);
  for (const step of STEPS) if (span / step <= maxTicks) return step;
  return Math.ceil(span / maxTicks / DAY) * DAY;
}

/** Offset of local time from UTC at `ts`, in ms (positive east of Greenwich). */
function localOffset(ts: number): number {
  return -new Date(ts).getTimezoneOffset() * MINUTE;
}

/** Tick values in [min, max] at multiples of `step` in local time. */
export function timeTicks(min: number, max: number, step: number): number[] {
  const ticks: number[] = [];
  if (!Number.isFinite(min) || !Number.isFinite(max) || max < min) return ticks;
  const offset = step >= HOUR ? localOffset(min) : 0;
  let t = Math.ceil((min + offset) / step) * step - offset;
  for (let i = 0; t <= max && i < 1000; i++, t += step) ticks.push(t);
  return ticks;
}

/** Label for a tick: seconds only when the step needs them; the date at local midnight. */
export function formatTimeTick(ts: number, step: number): string {
  if (step >= DAY) return formatDay(ts);
  const d = new Date(ts);
  if (step >= MINUTE && d.getHours() === 0 && d.getMinutes() === 0) return formatDay(ts);
  return step >= MINUTE ? formatClockMinutes(ts) : formatClock(ts);
}
