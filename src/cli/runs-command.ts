import { Command } from 'commander';
import type { RunSummary } from '../shared/run-data';
import { formatBytes, formatDuration, formatTable, formatTime } from './text-format';
import { openRunSource } from './run-source/open-run-source';
import { openStoreRunSource } from './run-source/store-run-source';
import { snapshotDirOf } from './start-collector-process';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface RunsFlags extends StoreFlags {
  json?: boolean;
  collector?: string;
}

/**
 * Lists runs from a collector's API (--collector, or the collector that owns the data
 * directory) or straight from the store when nobody holds it.
 */
export async function loadRuns(flags: RunsFlags): Promise<RunSummary[]> {
  const source = await openRunSource(
    flags,
    () => {
      const options = storeOptionsFrom(flags);
      return openStoreRunSource(options, snapshotDirOf(options, undefined));
    },
    (owner) => process.stderr.write(`leakwatch: the collector at ${owner.url} (pid ${owner.pid}) owns ${flags.data}; asking it\n`),
  );
  try {
    return await source.listRuns();
  } finally {
    await source.close();
  }
}

export function runsCommand(): Command {
  const command = new Command('runs')
    .description('list runs with their sample counts')
    .option('--json', 'print JSON instead of a table')
    .option('--collector <url>', 'ask a running collector (http://host:port) instead of opening the data directory');
  addStoreFlags(command);
  return command.action(async (flags: RunsFlags) => {
    const runs = await loadRuns(flags);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
      return;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet: start one with `leakwatch run -- node app.js`\n');
      return;
    }
    const rows = runs.map((r) => [
      r.id, r.name, r.status, formatTime(r.startedAt), formatDuration((r.endedAt ?? r.lastSampleAt ?? r.startedAt) - r.startedAt),
      String(r.sampleCount), r.latestHeapUsed === null ? '-' : formatBytes(r.latestHeapUsed), `${r.host}/${r.pid}`,
    ]);
    const header = ['RUN', 'NAME', 'STATUS', 'STARTED', 'DURATION', 'SAMPLES', 'HEAP', 'HOST/PID'];
    process.stdout.write(formatTable(header, rows));
  });
}
