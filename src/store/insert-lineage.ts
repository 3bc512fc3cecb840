import type { BootLineage } from '../shared/lineage-data';
import type { RawRow } from './store-context';

/** One process's lineage as the probe sent it, with its run and the message's seq (the boot is in the record). */
export type LineageRow = BootLineage & { run: string; seq: number };

/*
 * The row for the lineage table: the dependencies become parallel arrays, in the probe's order
 * (direct first). A resent message writes the same (run, boot) again, which ReplacingMergeTree
 * collapses.
 */
export function lineageInsertRow(row: LineageRow): RawRow {
  return {
    run_id: row.run,
    boot: row.boot,
    seq: Math.round(row.seq),
    at: Math.round(row.at),
    app_name: row.appName,
    app_version: row.appVersion,
    git_commit: row.gitCommit,
    git_branch: row.gitBranch,
    lock_kind: row.lockKind,
    lock_sha256: row.lockSha256,
    node_version: row.nodeVersion,
    v8_version: row.v8Version,
    probe_version: row.probeVersion,
    dep_name: row.dependencies.map((d) => d.name),
    dep_version: row.dependencies.map((d) => d.version),
    dep_direct: row.dependencies.map((d) => (d.direct ? 1 : 0)),
    dep_range: row.dependencies.map((d) => d.range),
    deps_omitted: Math.round(row.omitted),
    notes: row.notes,
  };
}
