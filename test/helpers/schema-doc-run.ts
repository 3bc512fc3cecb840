import { blankSnapshot } from '../../src/collector/snapshots/lifecycle';
import type { SnapshotTypeRow } from '../../src/shared/snapshot-data';
import type { AllocSiteRow, GcRow, RowBatch, SampleRow, SpaceRow, Store, StoredSnapshot } from '../../src/store/store-interface';
import { makeHello } from './store-fixtures';

/*
 * A run with two processes written through the store's own insert functions, shaped so the
 * documented queries have known answers: one process whose heap floor rises at a known rate (and
 * one allocation site with it, and a type that grows between two snapshots), one whose floor is
 * flat (and which reported a gap); plus an older, ended run. Times sit in the last two hours:
 * rows older than the retention would be removed by TTL.
 */

export const RUN = 'docs-run-new';
export const OLD_RUN = 'docs-run-old';
export const LEAKY = 'boot-leaky-0001';
export const STEADY = 'boot-steady-002';
export const SAMPLE_EVERY_MS = 10_000;
export const SAMPLES_PER_BOOT = 540; // 90 minutes
export const MAJOR_GC_EVERY = 6; // samples: one major GC a minute
export const FLOOR_BYTES_PER_HOUR = 36_000_000; // the leaky floor: 10 kB a second
export const SITE_BYTES_PER_HOUR = 12_000_000; // the growing site: 1 MB every 5 minutes
export const PROFILE_EVERY_MS = 300_000;
export const PROFILES = 18;
/** The profile from which on the sampler runs in a second epoch. */
export const EPOCH_RESTART_AT = 6;
export const GROWING_SITE = 'sitegrow00000001';
export const FLAT_SITE = 'siteflat00000002';
export const FIRST_SNAPSHOT = 'snap-leaky-first';
export const LATEST_SNAPSHOT = 'snap-leaky-latest';
export const STEADY_SNAPSHOT = 'snap-steady';
export const REFUSED_SNAPSHOT = 'snap-refused';
export const GAP_SAMPLES = 10;

export interface SeededRun {
  base: number;
  end: number;
}

function floorAt(boot: string, base: number, ts: number): number {
  return boot === LEAKY ? 50_000_000 + Math.round(((ts - base) / 3_600_000) * FLOOR_BYTES_PER_HOUR) : 40_000_000;
}

function sample(boot: string, base: number, i: number): SampleRow {
  const ts = base + i * SAMPLE_EVERY_MS;
  const heapUsed = floorAt(boot, base, ts) + (i % 6) * 1_000_000;
  return {
    run: RUN,
    boot,
    seq: i + 1,
    ts,
    rss: heapUsed + 30_000_000,
    heapTotal: heapUsed + 10_000_000,
    heapUsed,
    external: 2_000_000,
    arrayBuffers: 1_000_000,
    heapLimit: 4_000_000_000,
    totalAvailable: 4_000_000_000 - heapUsed,
    mallocedMemory: 100_000,
    peakMallocedMemory: 200_000,
    nativeContexts: 1,
    detachedContexts: 0,
    elP50Ms: 0.1,
    elP99Ms: 1.5,
    elMaxMs: 3 + (i % 5),
  };
}

function gcs(boot: string, base: number, i: number): GcRow[] {
  const ts = base + i * SAMPLE_EVERY_MS;
  const origin = { run: RUN, boot, seq: i + 1 };
  const out: GcRow[] = [{ ...origin, idx: 0, ts: ts + 1, kind: 'minor', durationMs: 1, heapUsedAfter: null, weight: 1 }];
  if (i % MAJOR_GC_EVERY === 0) out.push({ ...origin, idx: 1, ts: ts + 2, kind: 'major', durationMs: 8, heapUsedAfter: floorAt(boot, base, ts), weight: 1 });
  return out;
}

function spaces(boot: string, base: number, i: number): SpaceRow[] {
  const ts = base + i * SAMPLE_EVERY_MS;
  const used = floorAt(boot, base, ts);
  return [
    { run: RUN, boot, seq: i + 1, ts, space: 'new_space', size: 16_000_000, used: 4_000_000, available: 12_000_000, physical: 16_000_000 },
    { run: RUN, boot, seq: i + 1, ts, space: 'old_space', size: used + 8_000_000, used, available: 8_000_000, physical: used + 8_000_000 },
  ];
}

/** When the sampler was restarted (a second sampling epoch): every site's count starts again from nothing. */
export function secondEpochAt(base: number): number {
  return base + EPOCH_RESTART_AT * PROFILE_EVERY_MS;
}

function allocSites(base: number): AllocSiteRow[] {
  const rows: AllocSiteRow[] = [];
  for (let k = 0; k < PROFILES; k++) {
    const epoch = k < EPOCH_RESTART_AT ? 0 : EPOCH_RESTART_AT;
    const startedAt = epoch === 0 ? base : secondEpochAt(base);
    const origin = { run: RUN, boot: LEAKY, seq: 10_000 + k, at: base + 5_000 + k * PROFILE_EVERY_MS, startedAt, intervalBytes: 524_288, stackDepth: 64 };
    const growing = 1_000_000 + (k - epoch) * 1_000_000;
    rows.push(
      {
        ...origin,
        siteId: GROWING_SITE,
        frames: [
          { fn: 'remember', url: 'file:///app/cache.js', line: 10, col: 3 },
          { fn: 'handle', url: 'file:///app/server.js', line: 40, col: 5 },
        ],
        liveBytes: growing,
        samples: Math.round(growing / 524_288),
        siteCount: 1,
      },
      { ...origin, siteId: FLAT_SITE, frames: [{ fn: 'parse', url: 'file:///app/body.js', line: 7, col: 1 }], liveBytes: 500_000, samples: 1, siteCount: 1 },
      { ...origin, siteId: '', frames: [], liveBytes: 100_000, samples: 1, siteCount: 3 },
    );
  }
  return rows;
}

function snapshot(id: string, boot: string, takenAt: number, status: StoredSnapshot['status']): StoredSnapshot {
  return { ...blankSnapshot(RUN, id, boot, takenAt), status, heapUsed: 60_000_000, nodeCount: 100_000, edgeCount: 400_000, totalSize: 60_000_000, reachableSize: 58_000_000, updatedAt: takenAt + 1000 };
}

const FIRST_TYPES: SnapshotTypeRow[] = [
  { type: 'LeakyEntry', count: 1000, selfSize: 500_000, retainedSize: 1_000_000 },
  { type: 'Object', count: 500, selfSize: 400_000, retainedSize: 2_000_000 },
  { type: '(string)', count: 3000, selfSize: 3_000_000, retainedSize: 3_000_000 },
  { type: '(closure)', count: 200, selfSize: 200_000, retainedSize: 400_000 },
];
const LATEST_TYPES: SnapshotTypeRow[] = [
  { type: 'LeakyEntry', count: 9000, selfSize: 4_500_000, retainedSize: 9_000_000 },
  { type: 'Object', count: 500, selfSize: 400_000, retainedSize: 2_000_000 },
  { type: '(string)', count: 3000, selfSize: 3_000_000, retainedSize: 3_000_000 },
  { type: '(closure)', count: 100, selfSize: 100_000, retainedSize: 200_000 },
  { type: 'NewType', count: 10, selfSize: 1_000, retainedSize: 10_000 },
];

/** Writes the runs; the data batch goes in twice, as a probe's resend would, so FINAL has work to do. */
export async function seedRuns(store: Store, now = Date.now()): Promise<SeededRun> {
  const base = Math.floor((now - 2 * 3_600_000) / 1000) * 1000;
  const end = base + (SAMPLES_PER_BOOT - 1) * SAMPLE_EVERY_MS;

  await store.upsertRun(makeHello(OLD_RUN, { boot: 'boot-old-00001', name: 'old', startedAt: base - 1_800_000 }));
  await store.insertRows({ samples: [0, 1, 2].map((i) => ({ ...sample(LEAKY, base - 1_800_000, i), run: OLD_RUN, boot: 'boot-old-00001' })), spaces: [], gcs: [] });
  await store.endRun(OLD_RUN, base - 1_700_000, 0);

  await store.upsertRun(makeHello(RUN, { boot: LEAKY, name: 'api', startedAt: base }));
  await store.upsertRun(makeHello(RUN, { boot: STEADY, name: 'api', startedAt: base + 500, pid: 4343 }));
  const batch: RowBatch = { samples: [], spaces: [], gcs: [], allocSites: allocSites(base), gaps: [] };
  for (const boot of [LEAKY, STEADY]) {
    for (let i = 0; i < SAMPLES_PER_BOOT; i++) {
      batch.samples.push(sample(boot, base, i));
      batch.spaces.push(...spaces(boot, base, i));
      batch.gcs.push(...gcs(boot, base, i));
    }
  }
  batch.gaps = [{ run: RUN, boot: STEADY, seq: 100, fromTs: base + 100_000, toTs: base + 190_000, droppedMessages: GAP_SAMPLES, droppedSamples: GAP_SAMPLES }];
  await store.insertRows(batch);
  await store.insertRows(batch);

  const first = snapshot(FIRST_SNAPSHOT, LEAKY, base + 600_000, 'ready');
  const latest = snapshot(LATEST_SNAPSHOT, LEAKY, base + 4_800_000, 'ready');
  const steady = snapshot(STEADY_SNAPSHOT, STEADY, base + 1_200_000, 'ready');
  for (const s of [first, latest, steady]) {
    await store.writeSnapshot({ ...s, status: 'analysing', updatedAt: s.updatedAt - 500 });
    await store.writeSnapshot(s);
  }
  // Newer than every ready one, but refused: "the latest snapshot" means the latest with types.
  await store.writeSnapshot({ ...snapshot(REFUSED_SNAPSHOT, LEAKY, base + 5_100_000, 'refused'), reason: 'not enough memory', errorCode: 'LW_ERR_SNAPSHOT_REFUSED' });
  await store.insertSnapshotTypes({ run: RUN, id: FIRST_SNAPSHOT, takenAt: first.takenAt }, FIRST_TYPES, first.updatedAt);
  await store.insertSnapshotTypes({ run: RUN, id: LATEST_SNAPSHOT, takenAt: latest.takenAt }, LATEST_TYPES, latest.updatedAt);
  await store.insertSnapshotTypes({ run: RUN, id: STEADY_SNAPSHOT, takenAt: steady.takenAt }, FIRST_TYPES, steady.updatedAt);
  return { base, end };
}
