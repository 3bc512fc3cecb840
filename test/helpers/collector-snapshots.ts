import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before } from 'node:test';
import WebSocket from 'ws';
import { startCollector, type Collector, type CollectorOptions } from '../../src/collector/collector';
import { createLogger } from '../../src/shared/log';
import type { SnapshotRecord, SnapshotTypeRow } from '../../src/shared/snapshot-data';
import { openStore } from '../../src/store/open-store';
import type { Store } from '../../src/store/store-interface';
import type { RawProbe } from './raw-probe';
import { uploadSnapshot } from './snapshot-upload-client';
import { makeTempDir } from './temp-dir';
import { getJson, waitFor } from './wait-for';

/*
 * The collector's snapshot side as the collector-snapshot-*.test.ts files drive it: over real
 * sockets, with the real embedded ClickHouse, real V8 heap snapshots written by child processes,
 * and the real analysis in a worker thread. The probe end is played by the test (raw ingest and
 * upload connections), so each fault can be produced exactly.
 */

export const MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024;
export const REQUEST_TIMEOUT_MS = 1500;
/** Leaking objects between the `before` and `after` snapshot of writeGrowingSnapshots. */
export const LEAKS = 20_000;

export function snapshotCollectorOptions(store: Store, snapshotDir: string): CollectorOptions {
  return {
    store,
    port: 0,
    log: createLogger(process.env.LW_TEST_LOG ? 'debug' : 'silent'),
    flushIntervalMs: 100,
    snapshotDir,
    retentionDays: 30,
    maxSnapshotBytes: MAX_SNAPSHOT_BYTES,
    snapshotRequestTimeoutMs: REQUEST_TIMEOUT_MS,
    // The tests ask for snapshots back to back; the rate limit has its own test.
    snapshotMinGapMs: 0,
  };
}

/** Statuses in the order they were first seen. */
export function statusTrail(pushes: SnapshotRecord[]): string[] {
  return pushes.map((p) => p.status).filter((s, i, all) => i === 0 || all[i - 1] !== s);
}

export function sortedByType(rows: SnapshotTypeRow[]): SnapshotTypeRow[] {
  return [...rows].sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
}

/** GET with explicit headers (fetch would decode gzip itself, hiding what was sent). */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** A real collector with its store and snapshot directory, for one test file. */
export interface SnapshotCollectorFixture extends ReturnType<typeof collectorSnapshots> {
  readonly temp: ReturnType<typeof makeTempDir>;
  readonly snapshotDir: string;
  readonly store: Store;
  readonly collector: Collector;
  /** The options the fixture's collector was started with (before `extra`), for a second one. */
  options(): CollectorOptions;
}

/**
 * Opens the embedded store and starts the collector in `before`, closes both and removes the
 * temporary directory in `after`. `extra` adds options to the fixture's own collector.
 */
export function useSnapshotCollector(name: string, extra: () => Partial<CollectorOptions> = () => ({})): SnapshotCollectorFixture {
  const temp = makeTempDir(name);
  const dataDir = path.join(temp.dir, 'data');
  const snapshotDir = path.join(temp.dir, 'snapshots');
  let store: Store | undefined;
  let collector: Collector | undefined;
  const options = (): CollectorOptions => snapshotCollectorOptions(store!, snapshotDir);
  before(async () => {
    store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
    collector = await startCollector({ ...options(), ...extra() });
  });
  after(async () => {
    await collector?.close();
    await store?.close();
    temp.remove();
  });
  return {
    temp,
    snapshotDir,
    get store() {
      return store!;
    },
    get collector() {
      return collector!;
    },
    options,
    ...collectorSnapshots(() => collector!, snapshotDir),
  };
}

/**
 * Routes and waits against the collector `current()` returns (the tests start it in `before`),
 * whose snapshots live in `snapshotDir`.
 */
export function collectorSnapshots(current: () => Collector, snapshotDir: string) {
  const ingestUrl = () => `${current().url.replace('http', 'ws')}/ingest`;
  const api = (route: string) => `${current().url}/api/runs/${route}`;

  async function snapshotOf(run: string, sid: string): Promise<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] } | undefined> {
    const res = await getJson<{ snapshot: SnapshotRecord; types: SnapshotTypeRow[] }>(api(`${run}/snapshots/${sid}`));
    return res.status === 200 ? res.body : undefined;
  }

  return {
    ingestUrl,
    api,
    storedFile: (run: string, sid: string) => path.join(snapshotDir, run, `${sid}.heapsnapshot.gz`),
    /** Files under the temporary upload directory. */
    tmpFiles(): string[] {
      const where = path.join(snapshotDir, '.tmp');
      return fs.existsSync(where) ? fs.readdirSync(where, { recursive: true }).filter((f) => fs.statSync(path.join(where, String(f))).isFile()).map(String) : [];
    },
    snapshotOf,

    waitForStatus(run: string, sid: string, status: SnapshotRecord['status'], timeoutMs = 60_000) {
      return waitFor(`snapshot ${sid} ${status}`, async () => {
        const got = await snapshotOf(run, sid);
        return got?.snapshot.status === status ? got : undefined;
      }, timeoutMs, 100);
    },

    /** Records every `snapshot` push for one run on /live. */
    async watchLive(run: string): Promise<{ pushes: SnapshotRecord[]; close: () => void }> {
      const ws = new WebSocket(`${current().url.replace('http', 'ws')}/live`);
      const pushes: SnapshotRecord[] = [];
      ws.on('message', (data) => {
        const msg = JSON.parse(data.toString()) as { type: string; runId?: string; snapshot?: SnapshotRecord };
        if (msg.type === 'snapshot' && msg.runId === run && msg.snapshot) pushes.push(msg.snapshot);
      });
      await new Promise((resolve) => ws.once('open', resolve));
      ws.send(JSON.stringify({ type: 'subscribe', runId: run }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      return { pushes, close: () => ws.close() };
    },

    /** A probe connection that announced a snapshot (capturing) and uploaded it. */
    async captureAndUpload(probe: RawProbe, sid: string, file: string) {
      const seq = probe.sendStatus({ state: 'capturing', snapshotId: sid });
      await probe.waitForAck(seq);
      return uploadSnapshot(current().url, { run: probe.run, boot: probe.boot, snapshotId: sid, file });
    },
  };
}
