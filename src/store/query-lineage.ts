import type { BootLineage } from '../shared/lineage-data';
import { selectRows, type StoreContext } from './store-context';
import { toNumber } from './to-number';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** Every process's lineage of a run, oldest first; [] when no probe of it sent one. */
export async function queryLineage(ctx: StoreContext, runId: string): Promise<BootLineage[]> {
  const rows = await selectRows(
    ctx,
    `cannot read the lineage of run ${runId.slice(0, 80)}`,
    `SELECT boot, toUnixTimestamp64Milli(at) AS at, app_name, app_version, git_commit, git_branch, lock_kind, lock_sha256,
       node_version, v8_version, probe_version, dep_name, dep_version, dep_direct, dep_range, deps_omitted, notes
     FROM ${ctx.tables.lineage} FINAL
     WHERE run_id = {run:String}
     ORDER BY at, boot`,
    { run: runId },
  );
  return rows.map((row) => {
    const names = strings(row.dep_name);
    const versions = strings(row.dep_version);
    const ranges = strings(row.dep_range);
    const direct = Array.isArray(row.dep_direct) ? row.dep_direct : [];
    return {
      boot: String(row.boot),
      at: toNumber(row.at, 'lineage.at'),
      appName: String(row.app_name),
      appVersion: String(row.app_version),
      gitCommit: String(row.git_commit),
      gitBranch: String(row.git_branch),
      lockKind: String(row.lock_kind),
      lockSha256: String(row.lock_sha256),
      nodeVersion: String(row.node_version),
      v8Version: String(row.v8_version),
      probeVersion: String(row.probe_version),
      dependencies: names.map((name, i) => ({ name, version: versions[i] ?? '', direct: Number(direct[i]) === 1, range: ranges[i] ?? '' })),
      omitted: toNumber(row.deps_omitted, 'lineage.deps_omitted'),
      notes: strings(row.notes),
    };
  });
}
