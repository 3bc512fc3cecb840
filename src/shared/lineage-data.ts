/**
 * What one process of a run was running, as stored and as `GET /api/runs/:id/lineage` returns it
 * (the probe's `lineage` message without its envelope). '' means not found.
 */
export interface BootLineage {
  boot: string;
  at: number;
  appName: string;
  appVersion: string;
  gitCommit: string;
  gitBranch: string;
  lockKind: string;
  lockSha256: string;
  nodeVersion: string;
  v8Version: string;
  probeVersion: string;
  dependencies: Array<{ name: string; version: string; direct: boolean; range: string }>;
  omitted: number;
  notes: string[];
}
