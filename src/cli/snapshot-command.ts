import { Command } from 'commander';
import { LeakwatchError, formatErrorLine, isLeakwatchError } from '../shared/errors';
import type { SnapshotRecord, SnapshotTypeRow } from '../shared/snapshot-data';
import type { SnapshotDetail } from '../api/http-contract';
import { MAX_SPAN_MS, durationHelp, parseDuration } from '../shared/duration';
import { parseInteger } from '../shared/units';
import { callCollector } from './api-client';
import { collectorToAsk } from './data-dir-owner';
import { formatBytes } from './text-format';
import { createProgressBar, type ProgressBar } from './progress-bar';
import { formatTypeTable } from './type-tables';
import { DEFAULT_DATA_DIR } from './store-flags';

interface SnapshotFlags {
  collector?: string;
  data: string;
  wait: boolean;
  json?: boolean;
  top: string;
  timeout: string;
}

const POLL_MS = 250;
/** Exit code when the snapshot was refused or failed (user errors exit 64). */
export const SNAPSHOT_FAILED_EXIT_CODE = 1;

/** Codes that mean "no snapshot was taken" rather than "you typed something wrong". */
const NOT_TAKEN: ReadonlySet<string> = new Set(['LW_ERR_SNAPSHOT_NO_PROBE', 'LW_ERR_SNAPSHOT_TIMEOUT']);

/** The collector to ask: --collector, or the one that owns the data directory. */
function collectorUrlOf(flags: SnapshotFlags): string {
  const collectorUrl = collectorToAsk(flags);
  if (!collectorUrl) {
    throw new LeakwatchError(
      'LW_ERR_COLLECTOR_UNREACHABLE',
      `no collector is running on ${flags.data}: a snapshot is taken through the collector the probe is connected to (start one with leakwatch run / collect, or pass --collector <url>)`,
    );
  }
  return collectorUrl;
}

function phaseLabel(snapshot: SnapshotRecord): string {
  const progress = snapshot.progress;
  if (snapshot.status === 'capturing') return 'capturing the heap snapshot';
  if (snapshot.status === 'uploading') return `uploading ${formatBytes(progress?.total || snapshot.fileSize)}`;
  if (progress?.phase === 'compressing') return 'compressing';
  return progress?.step ? `analysing (${progress.step})` : 'analysing';
}

function summaryLine(s: SnapshotRecord, typeCount: number): string {
  return (
    `snapshot ${s.id} of run ${s.run} ready: ${s.nodeCount} nodes, ${s.edgeCount} edges, ${typeCount} types; ` +
    `heap ${formatBytes(s.totalSize)}, reachable ${formatBytes(s.reachableSize)}; file ${formatBytes(s.fileSize)} (${formatBytes(s.storedSize)} gzip); ` +
    `capture ${Math.round(s.captureMs)} ms, upload ${Math.round(s.uploadMs)} ms, analysis ${Math.round(s.analysisMs)} ms`
  );
}

function notTaken(line: string): void {
  process.stderr.write(`leakwatch: ${line}\n`);
  process.exitCode = SNAPSHOT_FAILED_EXIT_CODE;
}

async function follow(baseUrl: string, first: SnapshotRecord, bar: ProgressBar, deadline: number): Promise<SnapshotDetail> {
  const route = `api/runs/${encodeURIComponent(first.run)}/snapshots/${encodeURIComponent(first.id)}`;
  let current = { snapshot: first, types: [] as SnapshotTypeRow[] };
  for (;;) {
    const s = current.snapshot;
    if (s.status === 'ready' || s.status === 'failed' || s.status === 'refused') return current;
    if (Date.now() > deadline) {
      throw new LeakwatchError('LW_ERR_SNAPSHOT_TIMEOUT', `snapshot ${s.id} is still ${s.status} after the --timeout`);
    }
    const progress = s.progress;
    bar.update(progress?.done ?? 0, s.status === 'capturing' ? 0 : progress?.total ?? 0, phaseLabel(s));
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = await callCollector<'GET /api/runs/:id/snapshots/:sid'>(baseUrl, route);
  }
}

/**
 * `leakwatch snapshot <run>`: asks the run's probe for a heap snapshot through the collector,
 * follows the upload and analysis with a progress bar on stderr, and prints the largest types.
 * Exit 0 when the snapshot is ready, 1 when it was refused or failed (with the reason), 64 for
 * user errors.
 */
export function snapshotCommand(): Command {
  return new Command('snapshot')
    .description('take a heap snapshot of a running process now, through its collector')
    .argument('<run>', 'run id (see leakwatch runs)')
    .option('--collector <url>', 'the collector the probe is connected to (http://host:port)')
    .option('--data <dir>', 'find the collector that owns this data directory', DEFAULT_DATA_DIR)
    .option('--no-wait', 'return once the probe accepted (or refused) the request')
    .option('--json', 'print the result as JSON on stdout')
    .option('--top <n>', 'how many types to list (0: all)', '20')
    .option('--timeout <duration>', 'give up following the snapshot after this long', '30m')
    .addHelpText('after', durationHelp(['--timeout']))
    .action(async (runId: string, flags: SnapshotFlags) => {
      const top = parseInteger(flags.top, '--top', 0, 1_000_000);
      // A deadline compared with the clock, not a timer: still bounded, so a typo is not a wait of years.
      const timeoutMs = parseDuration(flags.timeout, '--timeout', { max: MAX_SPAN_MS });
      const baseUrl = collectorUrlOf(flags);
      let requested: SnapshotRecord;
      try {
        requested = (await callCollector<'POST /api/runs/:id/snapshots'>(baseUrl, `api/runs/${encodeURIComponent(runId)}/snapshots`, { method: 'POST' })).snapshot;
      } catch (err) {
        if (isLeakwatchError(err) && NOT_TAKEN.has(err.code)) return notTaken(formatErrorLine(err));
        throw err;
      }
      if (requested.status === 'refused' || requested.status === 'failed') {
        if (flags.json) process.stdout.write(`${JSON.stringify({ snapshot: requested, types: [] }, null, 2)}\n`);
        return notTaken(`${requested.errorCode}: ${requested.reason}`);
      }
      if (!flags.wait) {
        if (flags.json) process.stdout.write(`${JSON.stringify({ snapshot: requested }, null, 2)}\n`);
        else process.stdout.write(`snapshot ${requested.id} of run ${requested.run}: ${requested.status}\n`);
        return;
      }
      const bar = createProgressBar();
      let result;
      try {
        result = await follow(baseUrl, requested, bar, Date.now() + timeoutMs);
      } catch (err) {
        bar.done();
        if (isLeakwatchError(err) && err.code === 'LW_ERR_SNAPSHOT_TIMEOUT') return notTaken(formatErrorLine(err));
        throw err;
      }
      bar.done();
      const { snapshot, types } = result;
      if (flags.json) process.stdout.write(`${JSON.stringify({ snapshot, types }, null, 2)}\n`);
      if (snapshot.status !== 'ready') return notTaken(`${snapshot.errorCode}: ${snapshot.reason}`);
      if (flags.json) return;
      const download = `${baseUrl.replace(/\/$/, '')}/api/runs/${encodeURIComponent(snapshot.run)}/snapshots/${encodeURIComponent(snapshot.id)}/download`;
      process.stdout.write(`${summaryLine(snapshot, types.length)}\n${formatTypeTable(types, top)}download (opens in Chrome DevTools, Memory tab): ${download}\n`);
    });
}
