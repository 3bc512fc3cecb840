import fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { isLeakwatchError } from '../../shared/errors';
import type { SurvivingType, SuspectSummary } from '../../shared/suspect-data';
import { analyzeSnapshotFile } from '../../snapshot/analyze-file';
import { readNodeIndex } from '../../snapshot/node-index';
import { decodeDigest, encodeDigest, suspectsOfFile } from '../../snapshot/suspects';
import { findSurvivingTypes, type SurvivingWindowEntry } from '../../snapshot/surviving-types';
import type { AnalysisWorkerData, AnalysisWorkerReply } from './analysis-worker-runner';

/**
 * Worker thread entry (started by analysis-worker-runner.ts): analyses one snapshot file, or
 * runs the suspects step on it, and posts progress and then the result or the error. The
 * collector's event loop never runs either itself.
 */
const port = parentPort;
if (!port) throw new Error('analysis-worker.js runs as a worker thread only');
const data = workerData as AnalysisWorkerData;
const post = (reply: AnalysisWorkerReply) => port.postMessage(reply);
const fail = (err: unknown) =>
  post({
    type: 'error',
    code: isLeakwatchError(err) ? err.code : 'LW_ERR_SNAPSHOT_ANALYSIS',
    message: err instanceof Error ? err.message.split('\n')[0] : String(err),
  });

/**
 * The surviving types over the window's node indexes (a missing file is left out of the window).
 * Never throws: a damaged index gives `[]` and the reason, and the suspects go on without them.
 */
function survivingTypesOf(files: ReadonlyArray<{ path: string; takenAt: number }>): { survivingTypes: SurvivingType[]; survivingError: string | null } {
  try {
    const window: SurvivingWindowEntry[] = [];
    for (const file of files) {
      let bytes: Buffer;
      try {
        bytes = fs.readFileSync(file.path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      window.push({ index: readNodeIndex(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), takenAt: file.takenAt });
    }
    return { survivingTypes: findSurvivingTypes(window), survivingError: null };
  } catch (err) {
    return { survivingTypes: [], survivingError: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

if (data.job === 'suspects') {
  try {
    // Before the graph is loaded, so the indexes (a few bytes per node each) are garbage by then.
    const surviving = survivingTypesOf(data.nodeIndexes);
    const earlier = data.earlier.map((bytes) => decodeDigest(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    // One graph: the new snapshot's, loaded with every string; the earlier ones are digests.
    const { digest, suspects } = suspectsOfFile(data.file, earlier, { takenAt: data.takenAt }, data.floorGrowthBytes === null ? {} : { floorGrowthBytes: data.floorGrowthBytes });
    const bytes = new Uint8Array(encodeDigest(digest));
    const summaries: SuspectSummary[] = suspects;
    port.postMessage({ type: 'suspects', digest: bytes, suspects: summaries, ...surviving } satisfies AnalysisWorkerReply, [bytes.buffer as ArrayBuffer]);
  } catch (err) {
    fail(err);
  }
} else {
  analyzeSnapshotFile(data.file, { nodeIndex: true, onProgress: (progress) => post({ type: 'progress', progress }) }).then(
    // The node index moves to the collector's thread rather than being copied.
    (analysis) => port.postMessage({ type: 'result', analysis } satisfies AnalysisWorkerReply, analysis.nodeIndex ? [analysis.nodeIndex.buffer as ArrayBuffer] : []),
    fail,
  );
}
