/**
 * Tick steps for byte axes in binary units (1, 2, 5, 10, 20, 50… KB/MB/GB), so ticks read
 * "10 MB, 20 MB" instead of chart.js's decimal steps that print as "9.5 MB, 19.1 MB".
 */
const UNITS = [1, 1024, 1024 ** 2, 1024 ** 3, 1024 ** 4];
const NICE = [1, 2, 5, 10, 20, 50, 100, 200, 500];

/** The smallest nice step that keeps [min, max] within about `maxTicks` intervals. */
export function byteStep(min: number, max: number, maxTicks: number): number {
  const raw = Math.max(1, (max - min) / Math.max(1, maxTicks));
  for (const unit of UNITS) {
    for (const nice of NICE) if (nice * unit >= raw) return nice * unit;
  }
  return Math.ceil(raw / UNITS[UNITS.length - 1]) * UNITS[UNITS.length - 1];
}

/** Axis bounds widened to whole steps, and the tick values in between. */
export function byteTicks(min: number, max: number, maxTicks: number): { min: number; max: number; ticks: number[] } {
  const step = byteStep(min, max, maxTicks);
  const lo = Math.floor(min / step) * step;
  const hi = Math.max(lo + step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let v = lo; v <= hi + step / 2; v += step) ticks.push(v);
  return { min: lo, max: hi, ticks };
}
