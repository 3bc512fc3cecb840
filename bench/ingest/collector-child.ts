import fs from 'node:fs';
import path from 'node:path';
import { rowsOfBatch } from '../../src/collector/batch-rows';
import { startCollector } from '../../src/collector/collector';
import { INGEST_PATH, type BatchMessage, type HelloMessage } from '../../src/protocol/messages';
import { createLogger } from '../../src/shared/log';
import { openStore } from '../../src/store/open-store';
import type { RowBatch, Store } from '../../src/store/store-interface';
import type { CollectorCommand, CollectorCount, CollectorMark, CollectorReady, DirectResult } from './collector-ipc';
import { createProbeFrames } from './probe-frames';

/**
 * The collector of the ingest benchmark, in a process of its own: the real collector
 * (startCollector) on the embedded engine in the data directory given as argv[2]. Its store is
 * wrapped only to note each insert's row count, so the direct baseline can replay exactly the
 * batch sizes the writer made.
 */

const dataDir = process.argv[2]!;

function rowCount(batch: RowBatch): number {
  return batch.samples.length + batch.spaces.length + batch.gcs.length + (batch.allocSites?.length ?? 0);
}

function cpuNow(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

async function main(): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true });
  const store = await openStore({ target: { kind: 'embedded', dataDir }, retentionDays: 30 });
  let batchRows: number[] = [];
  /** The batch sizes of the last measured interval: what the direct baseline replays. */
  let replay: number[] = [];
  const measured: Store = {
    ...store,
    insertRows: (batch) => {
      batchRows.push(rowCount(batch));
      return store.insertRows(batch);
    },
  };
  const collector = await startCollector({ store: measured, host: '127.0.0.1', port: 0, log: createLogger('warn'), snapshotDir: path.join(dataDir, 'snapshots') });

  let markCpu = cpuNow();
  let markAt = performance.now();
  let peakRss = process.memoryUsage.rss();
  const rssTimer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 250);
  rssTimer.unref();

  async function direct(runPrefix: string, probes: number): Promise<DirectResult> {
    const sizes = replay;
    const startedAt = Date.now();
    const frames = Array.from({ length: probes }, (_, i) => createProbeFrames(runPrefix, i, startedAt));
    for (const f of frames) await store.upsertRun(JSON.parse(f.hello) as HelloMessage);
    const seqs = new Array<number>(probes).fill(0);
    let next = 0;
    let messages = 0;
    let rows = 0;
    let insertMs = 0;
    let cpuUs = 0;
    for (const size of sizes) {
      // Whole messages, round-robin over the probes, until the writer's batch size is reached.
      const batch: RowBatch = { samples: [], spaces: [], gcs: [] };
      while (rowCount(batch) < size) {
        const seq = ++seqs[next]!;
        const part = rowsOfBatch(JSON.parse(frames[next]!.batch(seq, startedAt + seq * 1000)) as BatchMessage);
        batch.samples.push(...part.samples);
        batch.spaces.push(...part.spaces);
        batch.gcs.push(...part.gcs);
        next = (next + 1) % probes;
        messages++;
      }
      rows += rowCount(batch);
      const cpu0 = cpuNow();
      const t0 = performance.now();
      await store.insertRows(batch);
      insertMs += performance.now() - t0;
      cpuUs += cpuNow() - cpu0;
    }
    return { type: 'direct', batches: sizes.length, messages, rows, insertMs, cpuUs };
  }

  async function count(runPrefix: string): Promise<CollectorCount> {
    const runs = (await store.listRuns()).filter((r) => r.id.startsWith(`${runPrefix}-`));
    return { type: 'count', runs: runs.length, samples: runs.reduce((sum, r) => sum + r.sampleCount, 0) };
  }

  process.on('message', (command: CollectorCommand) => {
    (async () => {
      if (command.type === 'mark') {
        const cpu = cpuNow();
        const at = performance.now();
        const answer: CollectorMark = { type: 'mark', cpuUs: cpu - markCpu, wallMs: at - markAt, peakRss, rss: process.memoryUsage.rss(), batchRows };
        markCpu = cpu;
        markAt = at;
        peakRss = answer.rss;
        replay = batchRows;
        batchRows = [];
        process.send!(answer);
      } else if (command.type === 'count') {
        process.send!(await count(command.runPrefix));
      } else if (command.type === 'direct') {
        process.send!(await direct(command.runPrefix, command.probes));
      } else {
        await collector.close();
        await store.close();
        process.exit(0);
      }
    })().catch((err: Error) => {
      process.stderr.write(`bench collector: ${err.stack ?? err.message}\n`);
      process.exit(1);
    });
  });
  const ready: CollectorReady = { type: 'ready', ingestUrl: `${collector.url.replace(/^http/, 'ws')}${INGEST_PATH}` };
  process.send!(ready);
}

main().catch((err: Error) => {
  process.stderr.write(`bench collector: ${err.stack ?? err.message}\n`);
  process.exit(1);
});
