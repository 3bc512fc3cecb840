import path from 'node:path';
import { lastJsonLine, type ChildOutcome } from './child-runner';
import type { EngineResult } from './engine-child';

/**
 * The snapshot benchmark's `leakwatch-cli` engine: `leakwatch analyze <file> --json` as a user runs
 * it, a fresh process through the bin with Node's default heap limit, next to our engine run alone
 * in engine-child.ts. Its wall time is the whole process (start, loading the CLI,
 * analysis, output), which is what the user waits for; its peak RSS is measured like the other
 * engines' (the child's maxRSS, through a preload that prints it, and the parent's VmHWM samples).
 */

// The package's own name resolves to this checkout (self-reference through "exports").
const BIN = path.join(path.dirname(require.resolve('leakwatch/package.json')), 'bin', 'leakwatch.js');
const PEAK_PRELOAD = path.join(__dirname, 'cli-peak-preload.js');

export function cliEngineArgs(file: string): string[] {
  return ['-r', PEAK_PRELOAD, BIN, 'analyze', file, '--json'];
}

/** The analysis as `leakwatch analyze --json` prints it (the fields read here). */
interface AnalyzeJson {
  nodeCount: number;
  edgeCount: number;
  types: Array<{ type: string; retainedSize: number }>;
  timings: { totalMs: number };
}

/** The child's outcome as an engine result, or null when the command failed (the parent reports why). */
export function cliEngineResult(outcome: ChildOutcome): EngineResult | null {
  if (outcome.code !== 0) return null;
  const analysis = JSON.parse(outcome.stdout) as AnalyzeJson;
  const peak = lastJsonLine<{ benchPeakRssBytes: number }>(outcome.stderrTail);
  return {
    engine: 'leakwatch-cli',
    ok: true,
    wallMs: outcome.wallMs,
    peakRssBytes: peak?.benchPeakRssBytes ?? 0,
    nodeCount: analysis.nodeCount,
    edgeCount: analysis.edgeCount,
    top: [...analysis.types].sort((a, b) => b.retainedSize - a.retainedSize).slice(0, 5).map((t) => ({ type: t.type, retainedSize: t.retainedSize })),
    phases: { analysisMs: analysis.timings.totalMs, startAndOutputMs: outcome.wallMs - analysis.timings.totalMs },
  };
}
