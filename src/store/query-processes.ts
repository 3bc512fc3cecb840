import type { HelloMessage } from '../protocol/messages';
import { PROCESS_ROLES, type ProcessRole, type RunProcess } from '../shared/process-data';
import { insertValues, selectRows, type RawRow, type StoreContext } from './store-context';
import { toNullableNumber, toNumber } from './to-number';

/** One version of a processes row; updatedAt is the ReplacingMergeTree version. */
interface ProcessRecord extends RunProcess {
  updatedAt: number;
}

const COLUMNS = `boot, pid, ppid, thread_id, role, role_index, argv, host,
  toUnixTimestamp64Milli(started_at) AS started_ms, toUnixTimestamp64Milli(ended_at) AS ended_ms,
  toUnixTimestamp64Milli(updated_at) AS updated_ms`;

const ROLES: ReadonlySet<string> = new Set(PROCESS_ROLES);

function fromRow(row: RawRow): ProcessRecord {
  const role = String(row.role);
  return {
    boot: String(row.boot),
    pid: toNumber(row.pid, 'processes.pid'),
    ppid: toNumber(row.ppid, 'processes.ppid'),
    threadId: toNumber(row.thread_id, 'processes.thread_id'),
    role: ROLES.has(role) ? (role as ProcessRole) : 'process',
    roleIndex: toNumber(row.role_index, 'processes.role_index'),
    argv: Array.isArray(row.argv) ? row.argv.map(String) : [],
    host: String(row.host),
    startedAt: toNumber(row.started_ms, 'processes.started_at'),
    endedAt: toNullableNumber(row.ended_ms, 'processes.ended_at'),
    updatedAt: toNumber(row.updated_ms, 'processes.updated_at'),
  };
}

function toRow(runId: string, p: ProcessRecord): RawRow {
  return {
    run_id: runId,
    boot: p.boot,
    pid: Math.round(p.pid),
    ppid: Math.round(p.ppid),
    thread_id: Math.round(p.threadId),
    role: p.role,
    role_index: Math.round(p.roleIndex),
    argv: p.argv,
    host: p.host,
    started_at: Math.round(p.startedAt),
    ended_at: p.endedAt === null ? null : Math.round(p.endedAt),
    updated_at: p.updatedAt,
  };
}

async function readRecords(ctx: StoreContext, runId: string, boot?: string): Promise<ProcessRecord[]> {
  const rows = await selectRows(
    ctx,
    'cannot read the processes of a run',
    `SELECT ${COLUMNS} FROM ${ctx.tables.processes} FINAL
     WHERE run_id = {run:String}${boot === undefined ? '' : ' AND boot = {boot:String}'}
     ORDER BY started_ms, pid, thread_id, boot`,
    boot === undefined ? { run: runId } : { run: runId, boot },
  );
  return rows.map(fromRow);
}

/** Above the previous version even when the clock stepped back, as for runs. */
function nextVersion(previous: ProcessRecord | undefined, now = Date.now()): number {
  return previous === undefined ? now : Math.max(now, previous.updatedAt + 1);
}

/**
 * A hello (again, on every reconnect) writes the boot's row. A bye that came first (replayed out
 * of order) keeps its end: a late hello must not revive a process that said bye.
 */
export async function writeProcessHello(ctx: StoreContext, hello: HelloMessage): Promise<void> {
  const [previous] = await readRecords(ctx, hello.run, hello.boot);
  const record: ProcessRecord = {
    boot: hello.boot,
    pid: hello.pid,
    ppid: hello.ppid ?? 0,
    threadId: hello.threadId ?? 0,
    role: hello.role ?? 'process',
    roleIndex: hello.roleIndex ?? 0,
    argv: [...hello.argv],
    host: hello.host,
    startedAt: hello.startedAt,
    endedAt: previous?.endedAt ?? null,
    updatedAt: nextVersion(previous),
  };
  await insertValues(ctx, `cannot store process ${hello.boot} of run ${hello.run}`, ctx.tables.processes, [toRow(hello.run, record)]);
}

/** A bye: the boot's end (the first one kept). A bye without a stored hello is dropped: there is nothing to name. */
export async function writeProcessEnd(ctx: StoreContext, runId: string, boot: string, endedAt: number): Promise<void> {
  const [previous] = await readRecords(ctx, runId, boot);
  if (previous === undefined) return;
  const record: ProcessRecord = { ...previous, endedAt: previous.endedAt === null ? endedAt : Math.min(previous.endedAt, endedAt), updatedAt: nextVersion(previous) };
  await insertValues(ctx, `cannot end process ${boot} of run ${runId}`, ctx.tables.processes, [toRow(runId, record)]);
}

/**
 * The processes of a run, oldest start first. A `process` that is the parent of cluster workers
 * on its host is their `primary`, even when it forked them after its hello named it.
 */
export async function readProcesses(ctx: StoreContext, runId: string): Promise<RunProcess[]> {
  const records = await readRecords(ctx, runId);
  const workerParents = new Set(records.filter((r) => r.role === 'worker').map((r) => `${r.host}/${r.ppid}`));
  return records.map(({ updatedAt: _version, ...p }) => (p.role === 'process' && p.threadId === 0 && workerParents.has(`${p.host}/${p.pid}`) ? { ...p, role: 'primary' } : p));
}
