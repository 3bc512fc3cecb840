import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, LeakwatchError, type ErrorCode } from '../../shared/errors';
import type { SurvivingType, SuspectSummary } from '../../shared/suspect-data';
import type { AnalysisProgress, SnapshotAnalysis } from '../../snapshot/analysis-result';

/** What the worker (analysis-worker.ts) posts back. */
export type AnalysisWorkerReply =
  | { type: 'progress'; progress: AnalysisProgress }
  | { type: 'result'; analysis: SnapshotAnalysis }
  | { type: 'suspects'; digest: Uint8Array; suspects: SuspectSummary[]; survivingTypes: SurvivingType[]; survivingError: string | null }
  | { type: 'error'; code: string; message: string };

/**
 * What the worker is started with: the analysis of a file, or the suspects step on it (after its
 * analysis, never alongside: each holds one graph), with the stored digests of the earlier
 * snapshots of its process (encodeDigest's bytes, oldest first) and the node index files of the
 * window (`<sid>.nodes`, oldest first, the new snapshot's last) for the surviving types.
 */
export type AnalysisWorkerData =
  | { job: 'analysis'; file: string }
  | { job: 'suspects'; file: string; takenAt: number; earlier: Uint8Array[]; floorGrowthBytes: number | null; nodeIndexes: Array<{ path: string; takenAt: number }> };

/**
 * What the suspects step answers: the snapshot's digest (to store), its ranked suspects, and the
 * surviving types (with why they are `[]` when they could not be computed).
 */
export interface SuspectsAnswer {
  digest: Uint8Array;
  suspects: SuspectSummary[];
  survivingTypes: SurvivingType[];
  survivingError: string | null;
}

/** The compiled worker entry next to this file. */
export const ANALYSIS_WORKER_PATH = path.join(__dirname, 'analysis-worker.js');

/** Thrown by `result` when the analysis was stopped (collector shutting down), not failed. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

export interface RunningJob<T> {
  result: Promise<T>;
  /** Stops the worker; `result` then rejects with AnalysisCancelled. */
  terminate(): Promise<void>;
}

export type RunningAnalysis = RunningJob<SnapshotAnalysis>;

function codeOf(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'LW_ERR_SNAPSHOT_ANALYSIS';
}

/**
 * Runs one job in a worker thread, so parsing hundreds of megabytes and walking the graph never
 * stalls the collector's event loop (ingest, acks, API stay responsive). A crash of the worker
 * (out of memory included) fails this job only. `answer` picks the job's result from a reply.
 */
function startJob<T>(data: AnalysisWorkerData, workerPath: string | undefined, answer: (reply: AnalysisWorkerReply) => T | undefined, onProgress?: (progress: AnalysisProgress) => void): RunningJob<T> {
  const worker = new Worker(workerPath ?? ANALYSIS_WORKER_PATH, { workerData: data });
  let cancelled = false;
  const result = new Promise<T>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (reply: AnalysisWorkerReply) => {
      if (reply.type === 'progress') onProgress?.(reply.progress);
      else if (reply.type === 'error') settle(() => reject(new LeakwatchError(codeOf(reply.code), reply.message)));
      else {
        const value = answer(reply);
        if (value !== undefined) settle(() => resolve(value));
      }
    });
    worker.on('error', (err) => {
      settle(() => reject(cancelled ? new AnalysisCancelled() : new LeakwatchError('LW_ERR_SNAPSHOT_ANALYSIS', `analysis worker crashed: ${err.message}`, { cause: err })));
    });
    worker.on('exit', (code) => {
      settle(() => reject(cancelled ? new AnalysisCancelled() : new LeakwatchError('LW_ERR_SNAPSHOT_ANALYSIS', `analysis worker exited with code ${code} before it finished`)));
    });
  });
  return {
    result,
    async terminate() {
      cancelled = true;
      await worker.terminate();
    },
  };
}

/** Analyses one snapshot file in a worker thread. */
export function startAnalysisWorker(file: string, options: { onProgress?: (progress: AnalysisProgress) => void; workerPath?: string } = {}): RunningAnalysis {
  return startJob({ job: 'analysis', file }, options.workerPath, (reply) => (reply.type === 'result' ? reply.analysis : undefined), options.onProgress);
}

/** The suspects step on one snapshot file (src/snapshot/suspects' suspectsOfFile) in a worker thread. */
export function startSuspectsWorker(data: Extract<AnalysisWorkerData, { job: 'suspects' }>, workerPath?: string): RunningJob<SuspectsAnswer> {
  return startJob(data, workerPath, (reply) => (reply.type === 'suspects' ? { digest: reply.digest, suspects: reply.suspects, survivingTypes: reply.survivingTypes, survivingError: reply.survivingError } : undefined));
}
