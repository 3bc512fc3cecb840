import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { ProbeOptions } from '../../src/probe';
import type { RunGap } from '../../src/shared/run-data';
import { selectRows, type StoreContext } from '../../src/store/store-context';
import type { Store } from '../../src/store/store-interface';
import { toNumber } from '../../src/store/to-number';

const AUDIT_APP = path.join(__dirname, '..', 'fixtures', 'audit-app.js');

/** The probe's own account of one boot, printed by the audit app after stopProbe(). */
export interface ProbeAccount {
  runId: string;
  bootId: string;
  flushed: boolean;
  stopMs: number;
  /** MB the app keeps alive. */
  held: number;
  /** Samples measured (one per batch); dropped ones included. */
  queuedSamples: number;
  droppedSamples: number;
  droppedMessages: number;
  unreportedSamples: number;
  queued: number;
  snapshots: { taken: number; refused: number; failed: number } & Record<string, unknown>;
}

export interface AuditApp {
  child: ChildProcess;
  runId: string;
  bootId: string;
  stdout(): string;
  stderr(): string;
  /** Asks the app to stopProbe() and exit; resolves with the probe's account once it exited 0. */
  stop(): Promise<ProbeAccount>;
  kill(): void;
}

/**
 * Starts the audit app (test/fixtures/audit-app.ts) with the probe started in-process, under
 * --unhandled-rejections=strict so a rejection the probe leaves unhandled fails the test.
 */
export async function startAuditApp(options: ProbeOptions & { stopDeadlineMs?: number }, extra: { nodeArgs?: string[]; holdMb?: number } = {}): Promise<AuditApp> {
  const child = spawn(process.execPath, ['--unhandled-rejections=strict', ...(extra.nodeArgs ?? []), AUDIT_APP, JSON.stringify(options), String(extra.holdMb ?? 0)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const line = async (pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = out.match(pattern);
      if (match) return match;
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`audit app: no line ${pattern} (exit ${child.exitCode}); stderr: ${err.slice(-2000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const [, runId, bootId] = await line(/^ready (\S+) (\S+)$/m, 30_000);
  if (extra.holdMb) await line(/^held \d+$/m, 60_000);
  return {
    child,
    runId: runId!,
    bootId: bootId!,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.stdin!.write('stop\n');
      const [, json] = await line(/^audit (.+)$/m, 60_000);
      const exit = await exited;
      assert.deepEqual(exit, { code: 0, signal: null }, `the app exits cleanly after stopProbe(); stderr: ${err.slice(-2000)}`);
      return JSON.parse(json!) as ProbeAccount;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/** What the store holds of one run, counted the way the charts read it (FINAL). */
export interface StoredAccount {
  samples: number;
  /** Distinct (boot, seq) and (boot, ts) among the stored samples: equal to `samples` when nothing is doubled. */
  distinctSeqs: number;
  distinctTimes: number;
  gaps: RunGap[];
  gapSamples: number;
}

export async function storedAccount(ctx: StoreContext, store: Store, runId: string): Promise<StoredAccount> {
  const [row] = await selectRows(
    ctx,
    'audit samples',
    `SELECT count() AS n, uniqExact(boot, seq) AS seqs, uniqExact(boot, ts) AS times FROM ${ctx.tables.samples} FINAL WHERE run_id = {run:String}`,
    { run: runId },
  );
  const gaps = await store.queryGaps(runId);
  return {
    samples: toNumber(row!.n, 'n'),
    distinctSeqs: toNumber(row!.seqs, 'seqs'),
    distinctTimes: toNumber(row!.times, 'times'),
    gaps,
    gapSamples: gaps.reduce((sum, g) => sum + g.droppedSamples, 0),
  };
}

/**
 * The delivery audit: every sample the probe measured is either stored once or counted in a
 * recorded gap (missing == gaps), and nothing is stored twice (duplicates == 0).
 */
export function assertDeliveryAudit(sent: ProbeAccount, stored: StoredAccount): void {
  const detail = `probe: ${JSON.stringify({ queuedSamples: sent.queuedSamples, droppedSamples: sent.droppedSamples, unreported: sent.unreportedSamples, flushed: sent.flushed })}; store: ${JSON.stringify({ ...stored, gaps: stored.gaps.length })}`;
  assert.equal(sent.flushed, true, `stopProbe() flushed within its deadline; ${detail}`);
  assert.equal(stored.samples, stored.distinctSeqs, `no sample stored twice; ${detail}`);
  assert.equal(stored.samples, stored.distinctTimes, `no sample stored twice; ${detail}`);
  assert.equal(sent.queuedSamples - stored.samples, stored.gapSamples, `missing samples == recorded gaps; ${detail}`);
  assert.equal(stored.gapSamples, sent.droppedSamples, `the recorded gaps are what the probe dropped; ${detail}`);
}

/**
 * The same account read through a collector's HTTP API, for a collector in another process
 * (which holds the data directory): the run's FINAL sample count, its gaps, and the number of
 * distinct sample times (series buckets narrower than the probe's interval hold one sample each).
 */
export async function apiAccount(base: string, runId: string, intervalMs: number): Promise<StoredAccount> {
  const get = async <T>(url: string): Promise<T> => {
    const res = await fetch(url);
    assert.equal(res.status, 200, `GET ${url}`);
    return (await res.json()) as T;
  };
  const { run } = await get<{ run: { sampleCount: number } }>(`${base}/api/runs/${runId}`);
  const { gaps } = await get<{ gaps: RunGap[] }>(`${base}/api/runs/${runId}/gaps`);
  const series = await get<{ stepMs: number; t: number[] }>(`${base}/api/runs/${runId}/series?metrics=heapUsed&points=5000`);
  assert.ok(series.stepMs < intervalMs, `series buckets (${series.stepMs} ms) narrower than the interval`);
  return { samples: run.sampleCount, distinctSeqs: run.sampleCount, distinctTimes: series.t.length, gaps, gapSamples: gaps.reduce((sum, g) => sum + g.droppedSamples, 0) };
}
