import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, LeakwatchError, type ErrorCode } from '../../shared/errors';
import type { AnalysisProgress, SnapshotAnalysis } from '../../snapshot/analysis-result';

/** What the worker (analysis-worker.ts) posts back. */
export type AnalysisWorkerReply =
  | { type: 'progress'; progress: AnalysisProgress }
  | { type: 'result'; analysis: SnapshotAnalysis }
  | { type: 'error'; code: string; message: string };

/** What the worker is started with. */
export interface AnalysisWorkerData {
  file: string;
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

export interface RunningAnalysis {
  result: Promise<SnapshotAnalysis>;
  /** Stops the worker; `result` then rejects with AnalysisCancelled. */
  terminate(): Promise<void>;
}

function codeOf(code: string): ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'LW_ERR_SNAPSHOT_ANALYSIS';
}

/**
 * Analyses one snapshot file in a worker thread, so parsing hundreds of megabytes and building the
 * dominator tree never stalls the collector's event loop (ingest, acks, API stay responsive).
 * A crash of the worker (out of memory included) fails this analysis only.
 */
export function startAnalysisWorker(file: string, options: { onProgress?: (progress: AnalysisProgress) => void; workerPath?: string } = {}): RunningAnalysis {
  const workerData: AnalysisWorkerData = { file };
  const worker = new Worker(options.workerPath ?? ANALYSIS_WORKER_PATH, { workerData });
  let cancelled = false;
  const result = new Promise<SnapshotAnalysis>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
    };
    worker.on('message', (reply: AnalysisWorkerReply) => {
      if (reply.type === 'progress') options.onProgress?.(reply.progress);
      else if (reply.type === 'result') settle(() => resolve(reply.analysis));
      else if (reply.type === 'error') settle(() => reject(new LeakwatchError(codeOf(reply.code), reply.message)));
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
