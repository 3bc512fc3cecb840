import { typeRows } from './aggregate-types';
import { takeGraphForDominators, takeNodeNamesAsClassIds } from './graph-handover';
import { attributeOwnedSizes } from './owned-sizes';
import { loadSnapshotFile } from './load-snapshot';
import { buildNodeIndex } from './node-index';
import type { AnalysisProgress, AnalyzeOptions, SnapshotAnalysis } from './analysis-result';

/** Milliseconds from the monotonic clock (process.hrtime: unlike `performance`, it loads no module). */
function now(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Progress callbacks are throttled to this interval. */
const PROGRESS_EVERY_MS = 200;

/**
 * The whole offline analysis of one .heapsnapshot file: streaming load into typed arrays,
 * dominators and retained sizes, per-type aggregates. Synchronous CPU work wrapped in a promise
 * (the collector runs it in a worker thread; the CLI has nothing else to do meanwhile).
 */
export async function analyzeSnapshotFile(path: string, options: AnalyzeOptions = {}): Promise<SnapshotAnalysis> {
  return analyzeSnapshotFileSync(path, options);
}

export function analyzeSnapshotFileSync(path: string, options: AnalyzeOptions = {}): SnapshotAnalysis {
  let last = 0;
  const report = (progress: AnalysisProgress, force = false) => {
    if (!options.onProgress) return;
    const now = Date.now();
    if (!force && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    options.onProgress(progress);
  };
  const t0 = now();
  const graph = loadSnapshotFile(path, { keepStrings: 'analysis', onBytes: (done, total) => report({ phase: 'load', done, total }, done === total) });
  const t1 = now();
  const nodeCount = graph.nodeCount;
  const edgeCount = graph.edgeCount;
  let totalSize = 0;
  for (let i = 0; i < nodeCount; i++) totalSize += graph.selfSize[i];
  // Each step takes over the arrays of the one before (graph-handover.ts): memory stays near the graph's size.
  const owners = attributeOwnedSizes(graph);
  const classified = takeNodeNamesAsClassIds(graph);
  // Ids, class ids and attributed sizes are all there now, and `owners` is free until the dominator search.
  const nodeIndex = options.nodeIndex ? buildNodeIndex(classified, owners) : undefined;
  const { totals, dominators, strings } = takeGraphForDominators(classified, owners, (done, total) => report({ phase: 'dominators', done, total }, done === total));
  const t2 = now();
  report({ phase: 'aggregate', done: 0, total: 1 }, true);
  const types = typeRows(totals, dominators);
  const t3 = now();
  report({ phase: 'aggregate', done: 1, total: 1 }, true);
  return {
    nodeCount,
    edgeCount,
    stringCount: strings.count,
    totalSize,
    reachableSize: dominators.reachableSize,
    types,
    ...(nodeIndex ? { nodeIndex } : {}),
    timings: { loadMs: t1 - t0, dominatorsMs: t2 - t1, aggregateMs: t3 - t2, totalMs: t3 - t0 },
  };
}
