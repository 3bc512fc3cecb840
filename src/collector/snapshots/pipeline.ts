import fs from 'node:fs';
import { formatErrorLine, isLeakwatchError } from '../../shared/errors';
import type { Logger } from '../../shared/log';
import type { SnapshotProgress } from '../../shared/snapshot-data';
import type { AnalysisProgress, SnapshotAnalysis } from '../../snapshot/analysis-result';
import type { Store } from '../../store/store-interface';
import type { LocationResolver } from '../source-maps';
import { AnalysisCancelled, startAnalysisWorker, type RunningJob } from './analysis-worker-runner';
import { compressFile } from './compress-file';
import type { SnapshotFiles, VerifiedUpload } from './files';
import { ANALYSIS_PERMILLE, ANALYSIS_STARTS, applyFailure, applyReady, applyRecovered, isFinal } from './lifecycle';
import { writeNodeIndexFile } from './node-index-file';
import type { RecordBook } from './record-book';
import { runSuspectsStep, type SuspectsStepDeps } from './suspects-step';

/**
 * Share of an analysis each step usually takes: parsing the file dominates, the dominator tree
 * is most of the rest. Only used to turn the engine's per-step progress into one forward-moving bar.
 */
const STEP_SPAN: Record<AnalysisProgress['phase'], [number, number]> = { load: [0, 0.6], dominators: [0.6, 0.9], aggregate: [0.9, 1] };

export interface SnapshotPipelineDeps {
  store: Store;
  records: RecordBook;
  files: SnapshotFiles;
  log: Logger;
  /** Worker entry override (tests). */
  workerPath?: string;
  /** Maps the suspects' closure locations through source maps (suspects-step.ts). */
  resolver?: LocationResolver;
  /** Passed to the suspects step (suspects-step.ts). */
  onSuspects?: SuspectsStepDeps['onSuspects'];
}

/**
 * After an upload is verified: analyse it in a worker thread while gzip-compressing it into the
 * snapshot directory, store the per-type rows, run the suspects step on the verified copy
 * (suspects-step.ts, after the analysis so that one graph is in memory at a time), mark the
 * snapshot ready (or failed) and remove the verified copy. Snapshots are processed one at a time: an analysis holds the whole graph in
 * memory, and two large ones at once would double the collector's peak.
 */
export function createSnapshotPipeline(deps: SnapshotPipelineDeps) {
  const { store, records, files, log } = deps;
  const queue: VerifiedUpload[] = [];
  const queued = new Set<string>();
  let draining: Promise<void> | undefined;
  let current: { analysis?: RunningJob<unknown>; abort: AbortController } | undefined;
  let stopped = false;

  async function processOne(item: VerifiedUpload): Promise<void> {
    const { run, id, file } = item;
    const stat = await fs.promises.stat(file).catch(() => undefined);
    if (!stat) return;
    let record = await records.get(run, id);
    if (record && isFinal(record.status)) {
      // Left behind by a process that stopped between the final write and the clean-up.
      await fs.promises.rm(file, { force: true });
      return;
    }
    record = await records.update(run, id, (prev) => applyRecovered(prev, { run, id, fileSize: stat.size, takenAt: stat.mtimeMs }), ANALYSIS_STARTS);
    const takenAt = record?.takenAt ?? stat.mtimeMs;
    const started = Date.now();

    let analysed = false;
    let analysisPermille = 0;
    const show = (progress: SnapshotProgress) => records.setProgress(run, id, progress);
    show(ANALYSIS_STARTS);
    const abort = new AbortController();
    current = { abort };
    const analysis = startAnalysisWorker(file, {
      workerPath: deps.workerPath,
      onProgress: (p) => {
        const [from, to] = STEP_SPAN[p.phase];
        const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
        analysisPermille = Math.max(analysisPermille, Math.round((from + (to - from) * fraction) * ANALYSIS_PERMILLE));
        show({ phase: 'analysing', done: analysisPermille, total: ANALYSIS_PERMILLE, step: p.phase });
      },
    });
    current.analysis = analysis;
    const compressed = compressFile(file, files.storedPath(run, id), files.partialPath(run, id), {
      signal: abort.signal,
      // Shown only once the analysis is done and compression is what is still running.
      onBytes: (read) => {
        if (analysed) show({ phase: 'compressing', done: read, total: stat.size });
      },
    });
    const analysisDone = analysis.result.finally(() => {
      analysed = true;
    });
    const [analysisResult, storedResult] = await Promise.allSettled([analysisDone, compressed]);
    current = undefined;
    if (stopped || (analysisResult.status === 'rejected' && analysisResult.reason instanceof AnalysisCancelled)) {
      // Shutting down: the verified file stays and is analysed on the next start.
      return;
    }
    const analysisMs = Date.now() - started;
    const storedSize = storedResult.status === 'fulfilled' ? storedResult.value : 0;
    const key = { run, id, takenAt };

    if (analysisResult.status === 'rejected' || storedResult.status === 'rejected') {
      const [errorCode, err] =
        analysisResult.status === 'rejected' ? ['LW_ERR_SNAPSHOT_ANALYSIS', analysisResult.reason] : ['LW_ERR_SNAPSHOT_IO', (storedResult as PromiseRejectedResult).reason];
      // The engine's own code (LW_ERR_SNAPSHOT_TRUNCATED, …) stays in the reason: it says what is wrong with the file.
      const reason = isLeakwatchError(err) && err.code !== errorCode ? formatErrorLine(err) : err instanceof Error ? err.message : String(err);
      log.warn(`snapshot ${id} of run ${run} failed: ${errorCode}: ${reason}`);
      // A compressed copy stays downloadable even when the analysis failed: DevTools may still open it.
      await records.update(run, id, (prev) => {
        const failed = applyFailure(prev, key, errorCode, reason);
        return failed && { ...failed, storedSize, analysisMs };
      });
      await fs.promises.rm(file, { force: true });
      return;
    }
    const result: SnapshotAnalysis = analysisResult.value;
    if (result.nodeIndex) {
      // Without its index the snapshot still diffs by type rows (#new / #deleted then unknown): not worth failing it.
      await writeNodeIndexFile(files, run, id, result.nodeIndex).catch((err: Error) => log.warn(`snapshot ${id} of run ${run}: cannot write its node index: ${err.message}`));
    }
    await store.insertSnapshotTypes(key, result.types, Date.now());
    if (record && !stopped) {
      // Before `ready`, so that a ready snapshot has its suspects (or never will); a failure or a
      // stop here only leaves it without them.
      await runSuspectsStep({ store, records, files, log, workerPath: deps.workerPath, resolver: deps.resolver, onSuspects: deps.onSuspects, onStart: (job) => (current = { analysis: job, abort: new AbortController() }) }, record, file);
      current = undefined;
    }
    await records.update(run, id, (prev) => applyReady(prev, key, result, storedSize, analysisMs));
    await fs.promises.rm(file, { force: true });
    log.info(`snapshot ${id} of run ${run} ready: ${result.nodeCount} nodes, ${result.types.length} types, analysed in ${analysisMs} ms`);
  }

  async function drain(): Promise<void> {
    while (queue.length > 0 && !stopped) {
      const item = queue.shift()!;
      try {
        await processOne(item);
      } catch (err) {
        // Typically the store being down: the verified file is kept for the next start.
        log.error(`snapshot ${item.id} of run ${item.run}: ${formatErrorLine(err)}`);
      } finally {
        queued.delete(`${item.run}/${item.id}`);
      }
    }
    draining = undefined;
  }

  return {
    enqueue(item: VerifiedUpload): void {
      const key = `${item.run}/${item.id}`;
      if (stopped || queued.has(key)) return;
      queued.add(key);
      queue.push(item);
      draining ??= drain();
    },

    /** Resolves when everything queued so far is processed (tests, orderly shutdown of a finished run). */
    async idle(): Promise<void> {
      while (draining) await draining;
    },

    /** Stops the running analysis and drops the queue; verified files stay for the next start. */
    async stop(): Promise<void> {
      stopped = true;
      queue.length = 0;
      current?.abort.abort();
      await current?.analysis?.terminate();
      await draining;
    },
  };
}

export type SnapshotPipeline = ReturnType<typeof createSnapshotPipeline>;
