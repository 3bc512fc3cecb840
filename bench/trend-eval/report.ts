import { EVAL_TREND_OPTIONS as OPTIONS } from '../../support/trend-eval-options';
import type { TrendResult, Verdict } from '../../src/trend/trend-model';
import { confusion, errorCount as errors, type Confusion } from './score';
import type { WorkloadLabel } from './workload-child';

/**
 * The printout of `npm run eval:trend`: final verdicts and times to a correct verdict per workload,
 * what each detector saw per run, the confusion matrix per detector, and PASS/FAIL against the
 * target (every leak found, no false positive, both baselines worse).
 */

const MB = 1024 * 1024;
export const DETECTORS = ['ours', 'least squares', 'memwatch'] as const;
export type Detector = (typeof DETECTORS)[number];

export interface Evaluation {
  name: string;
  label: WorkloadLabel;
  durationMs: number;
  samples: number;
  majorGcs: number;
  final: Record<Detector, Verdict>;
  timeToCorrect: Record<Detector, number | null>;
  ours: TrendResult;
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
      ['workload', 'label', 'ours', 'least sq.', 'memwatch', 't ours', 't least sq.', 't memwatch'],
      results.map((r) => [
        r.name,
        r.label,
        r.final.ours,
        r.final['least squares'],
        r.final.memwatch,
        seconds(r.timeToCorrect.ours),
        seconds(r.timeToCorrect['least squares']),
        seconds(r.timeToCorrect.memwatch),
      ]),
    ),
  );
  out.push('');
  out.push('per run (ours: heap floor start -> end and slope, off-heap slopes; baselines: what they saw):');
  out.push(
    table(
      ['workload', 'min', 'samples', 'full GCs', 'floor MB', 'floor MB/h', 'external MB/h', 'beyond heap MB/h', 'least sq.', 'memwatch'],
      results.map((r) => {
        const floor = r.ours.signals.find((s) => s.signal === 'heap floor');
        const external = r.ours.signals.find((s) => s.signal === 'external memory');
        const native = r.ours.signals.find((s) => s.signal === 'RSS beyond the heap');
        return [
          r.name,
          (r.durationMs / 60_000).toFixed(1),
          String(r.samples),
          String(r.majorGcs),
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
  out.push(
    table(
      ['detector', 'TP', 'FN', 'FP', 'TN', 'healthy inconclusive', 'errors', 'median t to correct'],
      DETECTORS.map((d) => {
        const c = matrices[d];
        const times = results.map((r) => r.timeToCorrect[d]).filter((t): t is number => t !== null).sort((a, b) => a - b);
        return [d, String(c.tp), String(c.fn), String(c.fp), String(c.tn), String(c.open), String(errors(c)), times.length ? seconds(times[times.length >> 1]) : '-'];
      }),
    ),
  );
  const ours = matrices.ours;
  const checks = [
    [`every leaky workload detected (${ours.tp}/${ours.tp + ours.fn})`, ours.fn === 0],
    [`zero false positives (${ours.fp})`, ours.fp === 0],
    [`least squares worse (${errors(matrices['least squares'])} errors vs ${errors(ours)})`, errors(matrices['least squares']) > errors(ours)],
    [`memwatch worse (${errors(matrices.memwatch)} errors vs ${errors(ours)})`, errors(matrices.memwatch) > errors(ours)],
  ] as const;
  const pass = checks.every(([, ok]) => ok);
  out.push('');
  out.push(`${pass ? 'PASS' : 'FAIL'}: ${checks.map(([text, ok]) => `${ok ? 'ok' : 'NOT'} ${text}`).join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
  return pass;
}
