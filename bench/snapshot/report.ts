import { median } from '../common/stats';
import type { EngineName, EngineResult } from './engine-child';

/**
 * The table of `npm run bench:snapshot`: per snapshot size, each engine's wall time and peak RSS,
 * then our engine against the better of memlab and DevTools' engine measured in the same run.
 */

/** Budget from the issue: at least 3x faster and at most a third of the peak RSS. */
export const BUDGET_SPEEDUP = 3;
export const BUDGET_RSS_FRACTION = 1 / 3;

/** The engines our engine is compared with; the better of the two on each measure counts. */
const BASELINES: readonly EngineName[] = ['memlab', 'devtools'];

export interface EngineRun {
  engine: EngineName;
  ok: boolean;
  /** Failure reason when not ok. */
  reason: string;
  wallMs: number;
  /** The larger of the child's own maxRSS and the parent's VmHWM samples. */
  peakRssBytes: number;
  /** The two figures behind peakRssBytes, for the cross-check. */
  childPeakRssBytes: number;
  sampledPeakRssBytes: number;
  result: EngineResult | null;
}

export interface SizeRun {
  targetMb: number;
  fileBytes: number;
  nodeCount: number;
  edgeCount: number;
  /** One per engine: the median over the rounds (see medianRun). */
  runs: EngineRun[];
  /** Every round's runs, engines in the same order each round. */
  rounds: EngineRun[][];
}

/**
 * One engine's runs on one file in several fresh processes, as one figure: the median wall time
 * and the median peak RSS (each on its own, so one slow round on a noisy machine moves neither).
 * A single failed round makes the engine failed: an engine that crashes sometimes does not pass.
 */
export function medianRun(runs: readonly EngineRun[]): EngineRun {
  const failed = runs.find((r) => !r.ok);
  if (failed || runs.length === 1) return failed ?? runs[0]!;
  const wallMs = median(runs.map((r) => r.wallMs));
  const closest = runs.reduce((best, r) => (Math.abs(r.wallMs - wallMs) < Math.abs(best.wallMs - wallMs) ? r : best));
  return {
    ...closest,
    wallMs,
    peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    childPeakRssBytes: median(runs.map((r) => r.childPeakRssBytes)),
    sampledPeakRssBytes: median(runs.map((r) => r.sampledPeakRssBytes)),
  };
}

export interface Verdict {
  /** Better (lower) baseline wall time over ours; null if it cannot be computed. */
  speedup: number | null;
  /** Ours over the better (lower) baseline peak RSS. */
  rssFraction: number | null;
  pass: boolean;
  note: string;
}

const MB = 1024 * 1024;
const GB = 1024 * MB;

export function formatBytes(bytes: number): string {
  return bytes >= GB ? `${(bytes / GB).toFixed(2)} GB` : `${(bytes / MB).toFixed(0)} MB`;
}

function formatCount(count: number): string {
  return count >= 1e6 ? `${(count / 1e6).toFixed(2)} M` : `${(count / 1e3).toFixed(0)} k`;
}

function pad(text: string, width: number, left = false): string {
  return left ? text.padEnd(width) : text.padStart(width);
}

export function verdictFor(size: Pick<SizeRun, 'runs'>): Verdict {
  const ours = size.runs.find((r) => r.engine === 'leakwatch');
  if (!ours) return { speedup: null, rssFraction: null, pass: false, note: 'not run' };
  if (!ours.ok) return { speedup: null, rssFraction: null, pass: false, note: `leakwatch failed` };
  const baselines = size.runs.filter((r) => BASELINES.includes(r.engine) && r.ok);
  if (baselines.length === 0) {
    const tried = size.runs.some((r) => BASELINES.includes(r.engine));
    return { speedup: null, rssFraction: null, pass: tried, note: tried ? 'baselines failed' : 'no baseline run' };
  }
  const fastest = Math.min(...baselines.map((r) => r.wallMs));
  const smallest = Math.min(...baselines.map((r) => r.peakRssBytes));
  const speedup = fastest / ours.wallMs;
  const rssFraction = ours.peakRssBytes / smallest;
  const pass = speedup >= BUDGET_SPEEDUP && rssFraction <= BUDGET_RSS_FRACTION;
  return { speedup, rssFraction, pass, note: '' };
}

function cell(run: EngineRun | undefined): string {
  if (!run) return '-';
  if (!run.ok) return 'failed';
  return `${(run.wallMs / 1000).toFixed(1)} s ${formatBytes(run.peakRssBytes)}`;
}

export function formatTable(sizes: readonly SizeRun[], engines: readonly EngineName[]): string {
  const lines: string[] = [];
  const engineWidth = 18;
  const header =
    `${pad('snapshot', 10, true)}${pad('nodes', 9)}${pad('edges', 9)}  ` +
    engines.map((e) => pad(e, engineWidth, true)).join('') +
    `${pad('speed-up', 10)}${pad('RSS frac', 10)}  verdict`;
  lines.push(header);
  lines.push(`${' '.repeat(30)}${engines.map(() => pad('wall  peak RSS', engineWidth, true)).join('')}`);
  lines.push('-'.repeat(header.length + 6));
  for (const size of sizes) {
    const v = verdictFor(size);
    const row =
      `${pad(formatBytes(size.fileBytes), 10, true)}${pad(formatCount(size.nodeCount), 9)}${pad(formatCount(size.edgeCount), 9)}  ` +
      engines.map((e) => pad(cell(size.runs.find((r) => r.engine === e)), engineWidth, true)).join('') +
      `${pad(v.speedup === null ? 'n/a' : `${v.speedup.toFixed(2)}x`, 10)}` +
      `${pad(v.rssFraction === null ? 'n/a' : v.rssFraction.toFixed(3), 10)}  ` +
      `${v.pass ? 'PASS' : 'FAIL'}${v.note ? ` (${v.note})` : ''}`;
    lines.push(row);
  }
  lines.push('');
  lines.push(
    `speed-up = wall time of the faster of memlab/devtools / ours (budget >= ${BUDGET_SPEEDUP}x); ` +
      `RSS frac = our peak RSS / the smaller of theirs (budget <= ${BUDGET_RSS_FRACTION.toFixed(3)}).`,
  );
  lines.push('wall = the engine\'s own work in a fresh process (libraries loaded); peak RSS = max of the child\'s maxRSS and sampled VmHWM.');
  if (engines.includes('leakwatch-cli')) {
    lines.push('leakwatch-cli = `leakwatch analyze <file> --json` through the bin as a user runs it (default heap limit); its wall is the whole process.');
  }
  for (const size of sizes) {
    if (size.rounds.length < 2) continue;
    const perRound = size.rounds.map((runs) => verdictFor({ runs }));
    const figures = perRound.map((v) => (v.speedup === null || v.rssFraction === null ? 'n/a' : `${v.speedup.toFixed(2)}x/${v.rssFraction.toFixed(3)}`));
    lines.push(`${formatBytes(size.fileBytes)}: median of ${size.rounds.length} rounds; each round's speed-up/RSS frac: ${figures.join(', ')}`);
  }
  const failures: string[] = [];
  for (const size of sizes) {
    for (const run of size.rounds.flat()) {
      if (!run.ok) failures.push(`  ${run.engine} on ${formatBytes(size.fileBytes)}: failed (${run.reason})`);
    }
  }
  if (failures.length) {
    lines.push('failures:');
    lines.push(...failures);
  }
  return lines.join('\n');
}

/** The five largest types by retained size per engine: a sanity check that all did the same work. */
export function formatTopTypes(sizes: readonly SizeRun[]): string {
  const lines: string[] = ['largest types by retained size (each engine\'s own grouping):'];
  for (const size of sizes) {
    lines.push(`  ${formatBytes(size.fileBytes)}:`);
    for (const run of size.runs) {
      if (!run.ok || !run.result || run.result.top.length === 0) continue;
      const top = run.result.top.map((t) => `${t.type} ${formatBytes(t.retainedSize)}`).join(', ');
      lines.push(`    ${pad(run.engine, 13, true)} ${top}`);
    }
  }
  return lines.join('\n');
}
