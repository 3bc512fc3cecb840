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

/** One detector's answers on one workload, scored from the checkpoint it first answered on. */
export interface AnswerScore {
  /** Run time of the first checkpoint with leak or no-leak, or null when it never answered. */
  firstAnswerMs: number | null;
  /** Healthy workload said `leak` at some checkpoint from the first answer on. */
  falsePositive: boolean;
  /** Leaky workload said `no-leak` at some checkpoint from the first answer on, or not `leak` at the end. */
  falseNegative: boolean;
  /** Healthy workload still inconclusive at the end: no false alarm, but CI gets no pass either. */
  unanswered: boolean;
}

/**
 * A detector that answers early and then changes its mind is wrong in between, and CI would have
 * acted on whichever checkpoint it stopped at: so every checkpoint from the first answer on counts,
 * not only the last one. Inconclusive after an answer is not counted as wrong (it is no answer).
 */
export function scoreAnswers(label: WorkloadLabel, timeline: readonly { atMs: number; verdict: Verdict }[]): AnswerScore {
  const first = timeline.findIndex((p) => p.verdict !== 'inconclusive');
  const answered = first < 0 ? [] : timeline.slice(first);
  const final = timeline.length > 0 ? timeline[timeline.length - 1].verdict : 'inconclusive';
  return {
    firstAnswerMs: first < 0 ? null : timeline[first].atMs,
    falsePositive: label === 'healthy' && answered.some((p) => p.verdict === 'leak'),
    falseNegative: label === 'leaky' && (answered.some((p) => p.verdict === 'no-leak') || final !== 'leak'),
    unanswered: label === 'healthy' && final === 'inconclusive',
  };
}

/** Median (upper of the two middle ones) and worst of the times, null when there are none. */
export function medianAndWorst(times: readonly (number | null)[]): { n: number; median: number | null; worst: number | null } {
  const sorted = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, median: null, worst: null };
  return { n: sorted.length, median: sorted[sorted.length >> 1], worst: sorted[sorted.length - 1] };
}
