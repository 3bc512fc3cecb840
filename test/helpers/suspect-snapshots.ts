import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SnapshotRecord } from '../../src/shared/snapshot-data';
import type { collectorSnapshots } from './collector-snapshots';
import type { RawProbe } from './raw-probe';
import { uploadSnapshot } from './snapshot-upload-client';

const run = promisify(execFile);
const CHILD = path.join(__dirname, '..', 'fixtures', 'suspects-child.js');

/**
 * Four real V8 snapshots of one process that grows a module-level Map (`responseCache`), an
 * EventEmitter's listener list and a closure-held array by 400 entries a step
 * (fixtures/suspects-child.ts); `healthy` keeps an LRU at its cap instead.
 */
export async function writeSuspectSnapshots(dir: string, mode: 'leaky' | 'healthy' = 'leaky'): Promise<string[]> {
  const files = [1, 2, 3, 4].map((i) => path.join(dir, `${mode}-${i}.heapsnapshot`));
  await run(process.execPath, [CHILD, mode, ...files], { maxBuffer: 1024 * 1024 });
  return files;
}

/**
 * Announces and uploads `files` as snapshots `<prefix>1…` of the probe's process, taken at
 * `takenAt[i]` (the probe's `at`), each waited for until ready: the suspects of one are computed
 * after it, from the digests of those before it.
 */
export async function uploadInTurn(collectorUrl: string, fx: ReturnType<typeof collectorSnapshots>, probe: RawProbe, files: string[], takenAt: number[], prefix = 's'): Promise<SnapshotRecord[]> {
  const ready: SnapshotRecord[] = [];
  for (let i = 0; i < files.length; i++) {
    const sid = `${prefix}${i + 1}`;
    await probe.waitForAck(probe.sendStatus({ state: 'capturing', snapshotId: sid, at: takenAt[i] }));
    const result = await uploadSnapshot(collectorUrl, { run: probe.run, boot: probe.boot, snapshotId: sid, file: files[i] });
    if (!result.stored) throw new Error(`snapshot ${sid} not stored: ${result.code} ${result.reason}`);
    ready.push((await fx.waitForStatus(probe.run, sid, 'ready')).snapshot);
  }
  return ready;
}
