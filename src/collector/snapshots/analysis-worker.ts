import { parentPort, workerData } from 'node:worker_threads';
import { isLeakwatchError } from '../../shared/errors';
import { analyzeSnapshotFile } from '../../snapshot/analyze-file';
import type { AnalysisWorkerData, AnalysisWorkerReply } from './analysis-worker-runner';

/**
 * Worker thread entry (started by analysis-worker-runner.ts): analyses one snapshot file and
 * posts progress and then the result or the error. The collector's event loop never runs the
 * analysis itself.
 */
const port = parentPort;
if (!port) throw new Error('analysis-worker.js runs as a worker thread only');
const { file } = workerData as AnalysisWorkerData;
const post = (reply: AnalysisWorkerReply) => port.postMessage(reply);

analyzeSnapshotFile(file, { nodeIndex: true, onProgress: (progress) => post({ type: 'progress', progress }) }).then(
  // The node index moves to the collector's thread rather than being copied.
  (analysis) => port.postMessage({ type: 'result', analysis } satisfies AnalysisWorkerReply, analysis.nodeIndex ? [analysis.nodeIndex.buffer as ArrayBuffer] : []),
  (err: unknown) =>
    post({
      type: 'error',
      code: isLeakwatchError(err) ? err.code : 'LW_ERR_SNAPSHOT_ANALYSIS',
      message: err instanceof Error ? err.message.split('\n')[0] : String(err),
    }),
);
