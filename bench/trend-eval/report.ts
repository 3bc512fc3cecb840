import { EVAL_TREND_OPTIONS as OPTIONS } from '../../support/trend-eval-options';
import { DEFAULT_TREND_OPTIONS, type TrendResult, type Verdict } from '../../src/trend/trend-model';
import { confusion, medianAndWorst, type AnswerScore, type Confusion } from './score';
import type { WorkloadLabel } from './workload-child';

/**
 * The printout of `npm run eval:trend`: final verdicts and times to a correct verdict per workload,
 * what each detector saw per run, the final confusion matrix, and per detector the time to a
 * correct verdict (median and worst) and the errors at any checkpoint after the first answer; the
 * healthy workloads' heap floor p-values; PASS/FAIL against the target (no error, a median time to
 * a correct verdict at or below both baselines', both baselines worse).
 */

const MB = 1024 * 1024;
/** 'ours' judges the measured floor; 'ours, V8 GCs only' the same series without measured points. */
export const DETECTORS = ['ours', 'ours, V8 GCs only', 'least squares', 'memwatch'] as const;
export type Detector = (typeof DETECTORS)[number];

export interface Evaluation {
  name: string;
  label: WorkloadLabel;
  durationMs: number;
  samples: number;
  /** V8's own full GCs, and the probe's measured ones, in the recorded series. */
  majorGcs: number;
  measuredGcs: number;
  final: Record<Detector, Verdict>;
  timeToCorrect: Record<Detector, number | null>;
  scores: Record<Detector, AnswerScore>;
  /** Each detector's verdict at every checkpoint (run time in ms). */
  timelines: Record<Detector, { atMs: number; verdict: Verdict }[]>;
  ours: TrendResult;
  oursV8: TrendResult;
  leastSquaresDetail: string;
  memwatchDetail: string;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const seconds = (ms: number | null): string => (ms === null ? '-' : `${Math.round(ms / 1000)} s`);
const mb = (bytes: number): string => `${(bytes / MB).toFixed(1)}`;

/** Prints the report; true when the target is met. */
export function report(results: Evaluation[], checkpointMs: number): boolean {
  const out: string[] = [];
  out.push(
    `detector settings: minDuration ${OPTIONS.minDurationMs / 1000} s, warm-up ${OPTIONS.warmupMs / 1000} s (or 10 % of the run), ` +
      `threshold ${OPTIONS.maxSlopeBytesPerHour / MB} MB/h; baselines on the same window and threshold; checkpoints every ${checkpointMs / 1000} s`,
  );
  out.push('');
  out.push(
    table(
      ['workload', 'label', 'ours', 'ours V8 only', 'least sq.', 'memwatch', 't ours', 't ours V8 only', 't least sq.', 't memwatch'],
      results.map((r) => [
        r.name,
        r.label,
        ...DETECTORS.map((d) => r.final[d]),
        ...DETECTORS.map((d) => seconds(r.timeToCorrect[d])),
      ]),
    ),
  );
  out.push('');
  out.push('per run (ours: heap floor start -> end and slope, off-heap slopes; baselines: what they saw):');
  out.push(
    table(
      ['workload', 'min', 'samples', 'V8 full GCs', 'measured', 'floor MB', 'floor MB/h', 'external MB/h', 'beyond heap MB/h', 'least sq.', 'memwatch'],
      results.map((r) => {
        const floor = r.ours.signals.find((s) => s.signal === 'heap floor');
        const external = r.ours.signals.find((s) => s.signal === 'external memory');
        const native = r.ours.signals.find((s) => s.signal === 'RSS beyond the heap');
        return [
          r.name,
          (r.durationMs / 60_000).toFixed(1),
          String(r.samples),
          String(r.majorGcs),
          String(r.measuredGcs),
          floor ? `${mb(floor.startLevel)} -> ${mb(floor.endLevel)}` : '-',
          floor ? mb(floor.slopeBytesPerHour) : '-',
          external ? mb(external.slopeBytesPerHour) : '-',
          native ? mb(native.slopeBytesPerHour) : '-',
          r.leastSquaresDetail,
          r.memwatchDetail,
        ];
      }),
    ),
  );
  out.push('');
  out.push('ours, reasons:');
  for (const r of results) out.push(`  ${r.name}: ${r.ours.verdict}: ${r.ours.reasons.join('; ')}`);
  out.push('');
  const matrices = Object.fromEntries(DETECTORS.map((d) => [d, confusion(results.map((r) => ({ label: r.label, verdict: r.final[d] })))])) as Record<Detector, Confusion>;
  out.push('final verdicts (confusion matrix):');
  out.push(
    table(
      ['detector', 'TP', 'FN', 'FP', 'TN', 'healthy inconclusive'],
      DETECTORS.map((d) => {
        const c = matrices[d];
        return [d, String(c.tp), String(c.fn), String(c.fp), String(c.tn), String(c.open)];
      }),
    ),
  );
  out.push('');
  const summary = summarise(results);
  out.push(
    `per detector: time to a correct verdict (over the workloads where it reached one), errors at any checkpoint from its first answer on ` +
      `(FP: a healthy workload called a leak; FN: a leaky one called no-leak, or not a leak at the end), healthy workloads left inconclusive:`,
  );
  out.push(
    table(
      ['detector', 'correct', 'median t', 'worst t', 'FP', 'FN', 'no answer', 'errors'],
      DETECTORS.map((d) => {
        const s = summary[d];
        return [d, `${s.correct}/${results.length}`, seconds(s.median), seconds(s.worst), String(s.fp), String(s.fn), String(s.unanswered), String(s.errors)];
      }),
    ),
  );
  out.push('');
  out.push('the errors, per detector: workload, then the wrong verdict at each checkpoint from the first answer on:');
  for (const d of DETECTORS) {
    const wrong = results
      .map((r) => {
        const first = r.scores[d].firstAnswerMs;
        const bad = r.timelines[d].filter((p) => first !== null && p.atMs >= first && (r.label === 'healthy' ? p.verdict === 'leak' : p.verdict === 'no-leak'));
        return bad.length ? `${r.name} ${bad.map((p) => `${p.verdict} at ${seconds(p.atMs)}`).join(', ')}` : '';
      })
      .filter(Boolean);
    out.push(`  ${d}: ${wrong.length ? wrong.join('; ') : 'none'}`);
  }
  out.push('');
  const healthy = results.filter((r) => r.label === 'healthy');
  out.push(`healthy workloads: heap floor at the end (p of Mann-Kendall for growth, alpha ${ALPHA}; floor points and their source):`);
  out.push(
    table(
      ['workload', 'p ours', 'floor from', 'points', 'p ours V8 only', 'floor from', 'points'],
      healthy.map((r) => [r.name, ...floorCells(r.ours), ...floorCells(r.oursV8)]),
    ),
  );
  const ours = summary.ours;
  const beats = (d: Detector) => ours.median !== null && (summary[d].median === null || ours.median <= summary[d].median!);
  const checks = [
    [`zero errors (FP ${ours.fp}, FN ${ours.fn}, no answer ${ours.unanswered})`, ours.errors === 0],
    [`median t to correct at or below least squares' (${seconds(ours.median)} vs ${seconds(summary['least squares'].median)})`, beats('least squares')],
    [`at or below memwatch's (${seconds(ours.median)} vs ${seconds(summary.memwatch.median)})`, beats('memwatch')],
    [`least squares worse (${summary['least squares'].errors} errors vs ${ours.errors})`, summary['least squares'].errors > ours.errors],
    [`memwatch worse (${summary.memwatch.errors} errors vs ${ours.errors})`, summary.memwatch.errors > ours.errors],
  ] as const;
  const pass = checks.every(([, ok]) => ok);
  out.push('');
  out.push(`${pass ? 'PASS' : 'FAIL'}: ${checks.map(([text, ok]) => `${ok ? 'ok' : 'NOT'} ${text}`).join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return pass;
}

/** The detector's significance level as the evaluation runs it (OPTIONS leaves the default). */
const ALPHA = DEFAULT_TREND_OPTIONS.alpha;

function floorCells(result: TrendResult): string[] {
  const floor = result.signals.find((s) => s.signal === 'heap floor');
  if (!floor) return ['-', '-', '-'];
  return [floor.p < 0.0001 ? floor.p.toExponential(1) : floor.p.toFixed(4), floor.floorSource ?? '-', String(floor.points)];
}

export interface DetectorSummary {
  correct: number;
  median: number | null;
  worst: number | null;
  fp: number;
  fn: number;
  unanswered: number;
  errors: number;
}

/** Per detector: times to a correct verdict and the errors counted by scoreAnswers. */
export function summarise(results: readonly Evaluation[]): Record<Detector, DetectorSummary> {
  return Object.fromEntries(
    DETECTORS.map((d) => {
      const times = medianAndWorst(results.map((r) => r.timeToCorrect[d]));
      const fp = results.filter((r) => r.scores[d].falsePositive).length;
      const fn = results.filter((r) => r.scores[d].falseNegative).length;
      const unanswered = results.filter((r) => r.scores[d].unanswered && !r.scores[d].falsePositive).length;
      return [d, { correct: times.n, median: times.median, worst: times.worst, fp, fn, unanswered, errors: fp + fn + unanswered }];
    }),
  ) as Record<Detector, DetectorSummary>;
}
