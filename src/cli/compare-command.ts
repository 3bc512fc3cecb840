import { Command } from 'commander';
import { compareRuns, type ApiGet, type ComparedRun, type RunComparison } from '../api/run-comparison';
import type { DependencyChange } from '../shared/dependency-diff';
import { LeakwatchError } from '../shared/errors';
import { callCollector } from './api-client';
import { resolveCheckThresholds, DEFAULT_MAX_SLOPE, DEFAULT_MIN_DURATION, DEFAULT_WARMUP } from './check-flags';
import { collectorToAsk } from './data-dir-owner';
import { createLogger } from '../shared/log';
import { startCollectorProcess } from './start-collector-process';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';
import { formatBytes, formatTable } from './text-format';

interface CompareFlags extends StoreFlags {
  collector?: string;
  json?: boolean;
  maxSlope?: string;
  minDuration?: string;
  warmup?: string;
}

function rate(bytesPerHour: number | null): string {
  if (bytesPerHour === null) return '-';
  return `${bytesPerHour < 0 ? '-' : '+'}${formatBytes(Math.abs(bytesPerHour))}/h`;
}

function values(list: string[]): string {
  return list.length === 0 ? '-' : list.join(', ');
}

function short(id: string): string {
  return id.length > 12 ? id.slice(0, 12) : id;
}

function side(label: string, c: ComparedRun): string {
  const lines = [
    `${label}: run ${c.run.id} "${c.run.name}" (${c.run.status})`,
    `  verdict ${c.verdict.verdict} (confidence ${c.verdict.confidence.toFixed(2)}), heap floor ${rate(c.verdict.floorSlopeBytesPerHour)}`,
    `  app ${values(c.identity.appName)} ${values(c.identity.appVersion)}, commit ${values(c.identity.gitCommit.map(short))}, node ${values(c.identity.nodeVersion)}`,
  ];
  if (c.processes.length > 0) {
    lines.push('  processes:');
    const rows = c.processes.map((p) => [`  ${short(p.boot)}`, p.appName || '-', p.verdict, rate(p.floorSlopeBytesPerHour), String(p.samples)]);
    lines.push(formatTable(['  BOOT', 'APP', 'VERDICT', 'FLOOR SLOPE', 'POINTS'], rows, new Set([3, 4])).trimEnd());
  }
  if (c.suspects.length > 0) {
    lines.push('  top suspects:');
    for (const s of c.suspects) lines.push(`    ${s.kind} ${s.label}: ${rate(s.bytesPerHour)} (LeakShare ${formatBytes(s.leakShareBytes)}, process ${short(s.boot)})`);
  }
  if (c.topTypes) {
    lines.push(`  top types of the latest snapshot (${c.topTypes.snapshotId}):`);
    const rows = c.topTypes.types.map((t) => [`    ${t.type}`, String(t.count), formatBytes(t.retainedSize)]);
    lines.push(formatTable(['    TYPE', 'COUNT', 'RETAINED'], rows, new Set([1, 2])).trimEnd());
  } else {
    lines.push('  no analysed snapshot');
  }
  return lines.join('\n');
}

function change(c: DependencyChange): string {
  return `${c.name}${c.direct ? ' (direct)' : ''} ${values(c.from)} -> ${values(c.to)}`;
}

/** The comparison as text: both sides, then what changed from a to b. */
export function comparisonText(cmp: RunComparison): string {
  const out = [side('A', cmp.a), '', side('B', cmp.b), '', 'changes from A to B:'];
  if (cmp.changes.length === 0) out.push('  app, commit, lock file and runtime: unchanged');
  for (const c of cmp.changes) out.push(`  ${c.field}: ${values(c.from)} -> ${values(c.to)}`);
  const d = cmp.dependencies;
  const noLineage = cmp.a.lineage.length === 0 || cmp.b.lineage.length === 0;
  if (noLineage) out.push(`  dependencies: not known (run ${cmp.a.lineage.length === 0 ? cmp.a.run.id : cmp.b.run.id} has no lineage)`);
  else {
    out.push(`  dependencies: ${d.added.length} added, ${d.removed.length} removed, ${d.upgraded.length} upgraded, ${d.downgraded.length} downgraded, ${d.changed.length} changed, ${d.unchanged} unchanged`);
    for (const c of d.added) out.push(`    added ${c.name}${c.direct ? ' (direct)' : ''} ${values(c.to)}`);
    for (const c of d.removed) out.push(`    removed ${c.name}${c.direct ? ' (direct)' : ''} ${values(c.from)}`);
    for (const c of d.upgraded) out.push(`    upgraded ${change(c)}`);
    for (const c of d.downgraded) out.push(`    downgraded ${change(c)}`);
    for (const c of d.changed) out.push(`    changed ${change(c)}`);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The comparison through a collector's API: --collector, or the live collector that owns the data
 * directory, else one started here on loopback over the store for the time of the command (the
 * same routes answer either way, so the CLI and the compare page cannot disagree).
 */
async function compareThroughApi(flags: CompareFlags, read: (get: ApiGet) => Promise<RunComparison>): Promise<RunComparison> {
  const url = collectorToAsk(flags, (owner) => process.stderr.write(`leakwatch: the collector at ${owner.url} (pid ${owner.pid}) owns ${flags.data}; asking it\n`));
  if (url) return read((path) => callCollector(url, path));
  const local = await startCollectorProcess({ storeOptions: storeOptionsFrom(flags), host: '127.0.0.1', port: 0, allowPortFallback: false, log: createLogger('warn') });
  try {
    return await read((path) => callCollector(local.collector.url, path));
  } finally {
    await local.close();
  }
}

/**
 * `leakwatch compare <runA> <runB>`: two runs side by side (verdicts, heap-floor slope per
 * process, top types or suspects) and what changed between them (app version, git commit, lock
 * file, dependencies).
 */
export function compareCommand(): Command {
  const command = new Command('compare')
    .description('put two runs side by side: verdicts, slopes per process, top types, and what changed (commit, dependencies)')
    .argument('<runA>', 'the reference run (the healthy one, or before the fix)')
    .argument('<runB>', 'the run compared with it')
    .option('--collector <url>', 'ask a running collector (http://host:port) instead of opening the data directory')
    .option('--json', 'print the comparison as JSON')
    .option('--max-slope <rate>', `growth tolerated before it counts as a leak (default ${DEFAULT_MAX_SLOPE})`)
    .option('--min-duration <duration>', `shorter runs (after warm-up) are inconclusive; a bare number is seconds (default ${DEFAULT_MIN_DURATION})`)
    .option('--warmup <duration>', `start of each process left out; a bare number is seconds (default ${DEFAULT_WARMUP})`);
  addStoreFlags(command);
  return command.action(async (runA: string, runB: string, flags: CompareFlags) => {
    if (runA === runB) throw new LeakwatchError('LW_ERR_USAGE', 'name two different runs');
    const thresholds = resolveCheckThresholds({ ...flags, format: 'text' });
    const query = `maxSlope=${encodeURIComponent(thresholds.maxSlope)}&minDuration=${encodeURIComponent(thresholds.minDuration)}&warmup=${encodeURIComponent(thresholds.warmup)}`;
    const comparison = await compareThroughApi(flags, (get) => compareRuns(get, runA, runB, query));
    process.stdout.write(flags.json ? `${JSON.stringify(comparison, null, 2)}\n` : comparisonText(comparison));
  });
}
