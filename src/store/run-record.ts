import type { HelloMessage } from '../protocol/messages';
import type { RunSummary } from '../shared/run-data';
import { insertValues, selectRows, type RawRow, type StoreContext } from './store-context';
import { toNullableNumber, toNumber } from './to-number';

/** One version of a row of the runs table, in JS terms: the run's header plus its row bookkeeping. */
export interface RunRecord
  extends Pick<RunSummary, 'id' | 'name' | 'labels' | 'host' | 'pid' | 'nodeVersion' | 'argv' | 'startedAt' | 'intervalMs' | 'endedAt' | 'exitCode'> {
  probeVersion: string;
  boot: string;
  /** The ReplacingMergeTree version: the newest one is what FINAL returns. */
  updatedAt: number;
}

const RUN_COLUMNS = `run_id, name, labels, host, pid, node_version, argv,
  toUnixTimestamp64Milli(started_at) AS started_ms, interval_ms, probe_version, boot,
  toUnixTimestamp64Milli(ended_at) AS ended_ms, exit_code, toUnixTimestamp64Milli(updated_at) AS updated_ms`;

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) out[k] = String(v);
  return out;
}

function fromRow(row: RawRow): RunRecord {
  return {
    id: String(row.run_id),
    name: String(row.name),
    labels: stringRecord(row.labels),
    host: String(row.host),
    pid: toNumber(row.pid, 'runs.pid'),
    nodeVersion: String(row.node_version),
    argv: Array.isArray(row.argv) ? row.argv.map(String) : [],
    startedAt: toNumber(row.started_ms, 'runs.started_at'),
    intervalMs: toNumber(row.interval_ms, 'runs.interval_ms'),
    probeVersion: String(row.probe_version),
    boot: String(row.boot),
    endedAt: toNullableNumber(row.ended_ms, 'runs.ended_at'),
    exitCode: toNullableNumber(row.exit_code, 'runs.exit_code'),
    updatedAt: toNumber(row.updated_ms, 'runs.updated_at'),
  };
}

function toRow(record: RunRecord): RawRow {
  return {
    run_id: record.id,
    name: record.name,
    labels: record.labels,
    host: record.host,
    pid: Math.round(record.pid),
    node_version: record.nodeVersion,
    argv: record.argv,
    started_at: Math.round(record.startedAt),
    interval_ms: Math.round(record.intervalMs),
    probe_version: record.probeVersion,
    boot: record.boot,
    ended_at: record.endedAt === null ? null : Math.round(record.endedAt),
    exit_code: record.exitCode,
    updated_at: record.updatedAt,
  };
}

/** All runs (or one), newest start first, as their latest versions. */
export async function readRunRecords(ctx: StoreContext, runId?: string): Promise<RunRecord[]> {
  const where = runId === undefined ? '' : 'WHERE run_id = {run:String}';
  const rows = await selectRows(
    ctx,
    'cannot read runs',
    `SELECT ${RUN_COLUMNS} FROM ${ctx.tables.runs} FINAL ${where} ORDER BY started_ms DESC, run_id`,
    runId === undefined ? {} : { run: runId },
  );
  return rows.map(fromRow);
}

export async function writeRunRecord(ctx: StoreContext, record: RunRecord): Promise<void> {
  await insertValues(ctx, `cannot store run ${record.id}`, ctx.tables.runs, [toRow(record)]);
}

/**
 * The version of the next write: the wall clock, but always above the previous version, so a new
 * version wins even if the clock stepped back.
 */
export function nextVersion(previous: RunRecord | undefined, now = Date.now()): number {
  return previous === undefined ? now : Math.max(now, previous.updatedAt + 1);
}

/**
 * A hello refreshes the descriptive fields. The start stays the earliest one seen (several
 * processes can share a run) and an end stays: a late hello from a reconnecting probe must not
 * revive a run that was closed.
 */
export function recordFromHello(hello: HelloMessage, previous: RunRecord | undefined): RunRecord {
  return {
    id: hello.run,
    name: hello.name,
    labels: { ...hello.labels },
    host: hello.host,
    pid: hello.pid,
    nodeVersion: hello.node,
    argv: [...hello.argv],
    startedAt: previous === undefined ? hello.startedAt : Math.min(previous.startedAt, hello.startedAt),
    intervalMs: hello.intervalMs,
    probeVersion: hello.probeVersion,
    boot: hello.boot,
    endedAt: previous?.endedAt ?? null,
    exitCode: previous?.exitCode ?? null,
    updatedAt: nextVersion(previous),
  };
}

/**
 * Ending keeps the hello fields. The first end time is kept and a known exit code is not erased by
 * a later end that does not know it (the probe's bye and `leakwatch run` may both end a run). An
 * unknown run gets a minimal row, so ending never fails for lack of a hello.
 */
export function recordForEnd(runId: string, endedAt: number, exitCode: number | null, previous: RunRecord | undefined): RunRecord {
  const base: RunRecord = previous ?? {
    id: runId,
    name: '',
    labels: {},
    host: '',
    pid: 0,
    nodeVersion: '',
    argv: [],
    startedAt: endedAt,
    intervalMs: 0,
    probeVersion: '',
    boot: '',
    endedAt: null,
    exitCode: null,
    updatedAt: 0,
  };
  return {
    ...base,
    endedAt: base.endedAt === null ? endedAt : Math.min(base.endedAt, endedAt),
    exitCode: exitCode ?? base.exitCode,
    updatedAt: nextVersion(previous),
  };
}
