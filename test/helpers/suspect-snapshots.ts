import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SnapshotRecord } from '../../src/shared/snapshot-data';
import type { GcRow, SampleRow } from '../../src/store/store-interface';
import type { collectorSnapshots } from './collector-snapshots';
import type { RawProbe } from './raw-probe';
import { uploadSnapshot } from './snapshot-upload-client';
import { makeGc, makeSample } from './store-fixtures';

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

const MB = 1024 * 1024;

/**
 * A leaking run's rows from `start`: one sample a second over 25 minutes; the floor rises 1 MB a
 * minute; a major GC every 10 s finds it (so the verdict is a leak and the suspects are named).
 */
export function leakingRows(run: string, start: number): { samples: SampleRow[]; gcs: GcRow[] } {
  const samples: SampleRow[] = [];
  const gcs: GcRow[] = [];
  for (let s = 0; s <= 25 * 60; s++) {
    const floor = 50 * MB + (s / 60) * MB;
    samples.push(makeSample(run, start + s * 1000, Math.round(floor + 20 * MB * ((s % 10) / 10)), { seq: s + 1 }));
    if (s % 10 === 0) gcs.push(makeGc(run, start + s * 1000, 0, 'major', 5, Math.round(floor), s + 1));
  }
  return { samples, gcs };
}
