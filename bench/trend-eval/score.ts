/**
 * Scoring of the trend evaluation: verdicts at checkpoints (each on the data up to that time
 * only), the time to a correct verdict, and the confusion matrix per detector.
 */
import type { TrendInput, Verdict } from '../../src/trend/trend-model';
import type { WorkloadLabel } from './workload-child';

/** The input as it was `atMs` after the run's first sample: nothing later is seen. */
export function truncateInput(input: TrendInput, atMs: number): TrendInput {
  if (input.samples.length === 0) return input;
  const until = input.samples[0].ts + atMs;
  return { samples: input.samples.filter((s) => s.ts <= until), majorGcs: input.majorGcs.filter((g) => g.ts <= until) };
}

/** Checkpoints every `stepMs` of run time, and always the end of the run. */
export function checkpoints(durationMs: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let t = stepMs; t < durationMs; t += stepMs) out.push(t);
  out.push(durationMs);
  return out;
}

/** A leak verdict on a leaky workload is correct, no-leak on a healthy one; inconclusive never is. */
export function isCorrect(label: WorkloadLabel, verdict: Verdict): boolean {
  return label === 'leaky' ? verdict === 'leak' : verdict === 'no-leak';
}

/**
 * Run time (ms) of the first checkpoint from which the verdict stays correct to the end, or null
 * when the final verdict is wrong.
 */
export function timeToCorrect(label: WorkloadLabel, timeline: readonly { atMs: number; verdict: Verdict }[]): number | null {
  let since: number | null = null;
  for (const point of timeline) {
    if (!isCorrect(label, point.verdict)) since = null;
    else if (since === null) since = point.atMs;
  }
  return since;
}

export interface Confusion {
  tp: number;
  fn: number;
  fp: number;
  tn: number;
  /** Healthy workloads left inconclusive: not a false alarm, but no answer either. */
  open: number;
}

/**
 * Positive = the detector said leak. Inconclusive on a leaky workload is a miss (fn); on a
 * healthy one it is counted apart (`open`), and as an error: CI gets exit 2, not a pass.
 */
export function confusion(results: readonly { label: WorkloadLabel; verdict: Verdict }[]): Confusion {
  const c: Confusion = { tp: 0, fn: 0, fp: 0, tn: 0, open: 0 };
  for (const r of results) {
    const leak = r.verdict === 'leak';
    if (r.label === 'leaky') leak ? c.tp++ : c.fn++;
    else if (leak) c.fp++;
    else r.verdict === 'no-leak' ? c.tn++ : c.open++;
  }
  return c;
}

/** Wrong answers and missing ones. */
export function errorCount(c: Confusion): number {
  return c.fn + c.fp + c.open;
}
