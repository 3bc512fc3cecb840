import type { BenchMode } from './ipc';
import { median, medianConfidence, relativeMadPercent } from '../common/stats';

/** One mode's measurement in one round; every figure comes from inside the server. */
export interface RoundResult {
  mode: BenchMode;
  round: number;
  reqPerSec: number;
  cpuUsPerReq: number;
  /** After the load stopped and two forced full GCs. */
  rss: number;
  heapUsed: number;
  /** The server's whole-life CPU at the end of the round, µs (for the workload's GC rate). */
  cpuTotalUs: number;
}

/** Overhead budget for the probe, from the design: at most 1 % of CPU per request and of throughput. */
const BUDGET_PERCENT = 1;

const MB = 1024 * 1024;

function pad(text: string, width: number, left = false): string {
  return left ? text.padEnd(width) : text.padStart(width);
}

function signed(value: number, digits: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}

/**
 * Ratio of a mode to bare as the median of per-round ratios. Each round runs every mode back to
 * back, so pairing within a round cancels slow drifts (thermal, other load) that medians of the
 * raw values would keep.
 */
interface Ratio {
  median: number;
  low: number;
  high: number;
}

function pairedRatio(results: readonly RoundResult[], mode: BenchMode, pick: (r: RoundResult) => number, baseMode: BenchMode = 'bare'): Ratio {
  const ratios: number[] = [];
  for (const r of results) {
    if (r.mode !== mode) continue;
    const base = results.find((b) => b.mode === baseMode && b.round === r.round);
    if (base) ratios.push(pick(r) / pick(base));
  }
  return { median: median(ratios), ...medianConfidence(ratios) };
}

/** "+0.42 % (95 % CI -0.80 .. +1.90 %)": an overhead in percent from a ratio, positive = worse. */
function overhead(ratio: Ratio, sign: 1 | -1): { value: number; text: string } {
  const pct = (r: number) => sign * (r - 1) * 100;
  const [a, b] = [pct(ratio.low), pct(ratio.high)].sort((x, y) => x - y);
  const value = pct(ratio.median);
  return { value, text: `${signed(value, 2)} % (95 % CI ${signed(a!, 2)} .. ${signed(b!, 2)} %)` };
}

export function formatReport(results: readonly RoundResult[], modes: readonly BenchMode[]): string {
  const lines: string[] = [];
  const of = (mode: BenchMode) => results.filter((r) => r.mode === mode);
  const bare = of('bare');
  const bareRss = median(bare.map((r) => r.rss));
  const bareHeap = median(bare.map((r) => r.heapUsed));

  lines.push(
    [
      pad('mode', 16, true), pad('req/s', 9), pad('vs bare', 9), pad('CPU µs/req', 11), pad('vs bare', 9),
      pad('RSS MB', 8), pad('ΔRSS MB', 8), pad('heap MB', 8), pad('Δheap MB', 9),
    ].join(' '),
  );
  const ratios = new Map<BenchMode, { rps: Ratio; cpu: Ratio }>();
  for (const mode of modes) {
    const rows = of(mode);
    if (rows.length === 0) continue;
    const rps = pairedRatio(results, mode, (r) => r.reqPerSec);
    const cpu = pairedRatio(results, mode, (r) => r.cpuUsPerReq);
    ratios.set(mode, { rps, cpu });
    const rss = median(rows.map((r) => r.rss));
    const heap = median(rows.map((r) => r.heapUsed));
    lines.push(
      [
        pad(mode, 16, true),
        pad(median(rows.map((r) => r.reqPerSec)).toFixed(0), 9),
        pad(rps.median.toFixed(3), 9),
        pad(median(rows.map((r) => r.cpuUsPerReq)).toFixed(1), 11),
        pad(cpu.median.toFixed(3), 9),
        pad((rss / MB).toFixed(1), 8),
        pad(signed((rss - bareRss) / MB, 1), 8),
        pad((heap / MB).toFixed(2), 8),
        pad(signed((heap - bareHeap) / MB, 2), 9),
      ].join(' '),
    );
  }
  lines.push('');
  lines.push(
    `round-to-round noise of bare (median absolute deviation): req/s ±${relativeMadPercent(bare.map((r) => r.reqPerSec)).toFixed(2)} %, ` +
      `CPU/req ±${relativeMadPercent(bare.map((r) => r.cpuUsPerReq)).toFixed(2)} %`,
  );

  const control = ratios.get('bare-control');
  if (control) {
    lines.push(
      `A/A control (bare vs bare): CPU/request ${overhead(control.cpu, 1).text}, throughput loss ${overhead(control.rps, -1).text}; ` +
        'differences of that size are noise',
    );
  }

  const lw = ratios.get('leakwatch');
  const prom = ratios.get('prom-client');
  lines.push('');
  if (!lw) {
    lines.push('budget check skipped: the leakwatch mode did not run');
    return lines.join('\n');
  }
  const lwCpu = overhead(lw.cpu, 1);
  const lwLoss = overhead(lw.rps, -1);
  const straddles = (r: Ratio, sign: 1 | -1) => {
    const [a, b] = [sign * (r.low - 1) * 100, sign * (r.high - 1) * 100].sort((x, y) => x - y);
    return a! <= BUDGET_PERCENT && b! > BUDGET_PERCENT;
  };
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  lines.push(`${verdict(lwCpu.value <= BUDGET_PERCENT)}  leakwatch CPU/request overhead ${lwCpu.text}, budget ≤ ${BUDGET_PERCENT} %`);
  lines.push(`${verdict(lwLoss.value <= BUDGET_PERCENT)}  leakwatch throughput loss ${lwLoss.text}, budget ≤ ${BUDGET_PERCENT} %`);
  if (prom) {
    const promCpu = overhead(prom.cpu, 1);
    const promLoss = overhead(prom.rps, -1);
    lines.push(`${verdict(lwCpu.value <= promCpu.value)}  leakwatch CPU/request overhead ${signed(lwCpu.value, 2)} % not above prom-client's ${promCpu.text}`);
    lines.push(`${verdict(lwLoss.value <= promLoss.value)}  leakwatch throughput loss ${signed(lwLoss.value, 2)} % not above prom-client's ${promLoss.text}`);
  }
  if (straddles(lw.cpu, 1) || straddles(lw.rps, -1)) {
    lines.push(`note: a confidence interval straddles the ${BUDGET_PERCENT} % budget, so that verdict is within this machine's noise; rerun on an idle machine or with more --rounds`);
  }
  if (of('leakwatch-alloc').length > 0) lines.push(...allocLines(results));
  return lines.join('\n');
}

/** Budgets of allocation sampling on top of the probe without it: CPU per request and RSS. */
const ALLOC_CPU_BUDGET_PERCENT = 2;
const ALLOC_RSS_BUDGET_MB = 10;

/** leakwatch-alloc against leakwatch, paired within each round like every ratio here. */
function allocLines(results: readonly RoundResult[]): string[] {
  const cpuRatio = pairedRatio(results, 'leakwatch-alloc', (r) => r.cpuUsPerReq, 'leakwatch');
  const cpu = overhead(cpuRatio, 1);
  const [low, high] = [(cpuRatio.low - 1) * 100, (cpuRatio.high - 1) * 100];
  const rssDeltas: number[] = [];
  for (const r of results) {
    if (r.mode !== 'leakwatch-alloc') continue;
    const base = results.find((b) => b.mode === 'leakwatch' && b.round === r.round);
    if (base) rssDeltas.push((r.rss - base.rss) / MB);
  }
  const rss = median(rssDeltas);
  const ci = medianConfidence(rssDeltas);
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
  return [
    '',
    'allocation sampling (leakwatch-alloc vs leakwatch, paired per round; its per-minute profile read is in the cost accounting below)',
    `${verdict(cpu.value <= ALLOC_CPU_BUDGET_PERCENT)}  allocation sampling CPU/request overhead ${cpu.text}, budget ≤ ${ALLOC_CPU_BUDGET_PERCENT} %`,
    `${verdict(rss <= ALLOC_RSS_BUDGET_MB)}  allocation sampling extra RSS ${signed(rss, 1)} MB (95 % CI ${signed(ci.low, 1)} .. ${signed(ci.high, 1)} MB), budget ≤ ${ALLOC_RSS_BUDGET_MB} MB`,
    // As for the probe's own budget: a paired request-rate comparison cannot resolve 2 % on a
    // noisy machine; the cost accounting below (fixed cost + cost per sample x samples) can.
    ...(low <= ALLOC_CPU_BUDGET_PERCENT && high > ALLOC_CPU_BUDGET_PERCENT
      ? [`note: the CPU/request interval straddles the ${ALLOC_CPU_BUDGET_PERCENT} % budget, so that verdict is within this machine's noise; the cost accounting below bounds it`]
      : []),
  ];
}
