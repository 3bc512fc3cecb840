import { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import { durationHelp } from '../shared/duration';
import type { RunSummary } from '../shared/run-data';
import type { VerdictBody } from '../api/http-contract';
import { addCheckFlags, emitVerdict, resolveCheckThresholds, type CheckFlags, type CheckThresholds } from './check-flags';
import { PROJECT_CONFIG_FILE } from './project-config';
import { openRunSource } from './run-source/open-run-source';
import { openStoreRunSource } from './run-source/store-run-source';
import { snapshotDirOf } from './start-collector-process';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface CheckCommandFlags extends StoreFlags, CheckFlags {
  latest?: boolean;
  collector?: string;
  snapshotDir?: string;
}

function pickRun(runs: RunSummary[], runId: string | undefined, latest: boolean): RunSummary {
  if (latest) {
    const newest = [...runs].sort((a, b) => b.startedAt - a.startedAt)[0];
    if (!newest) throw new LeakwatchError('LW_ERR_NOT_FOUND', 'there are no runs to check');
    return newest;
  }
  const run = runs.find((r) => r.id === runId);
  if (!run) throw new LeakwatchError('LW_ERR_NOT_FOUND', `no run ${runId} (see leakwatch runs)`);
  return run;
}

/** Picks the run and gets its verdict from the collector that owns the data (or --collector), else from the store. */
async function verdictOf(runId: string | undefined, flags: CheckCommandFlags, thresholds: CheckThresholds): Promise<{ run: RunSummary; result: VerdictBody }> {
  const source = await openRunSource(flags, () => {
    const options = storeOptionsFrom(flags);
    return openStoreRunSource(options, snapshotDirOf(options, flags.snapshotDir));
  });
  try {
    const run = pickRun(await source.listRuns(), runId, flags.latest === true);
    return { run, result: await source.verdict(run.id, thresholds) };
  } finally {
    await source.close();
  }
}

/**
 * `leakwatch check <run | --latest>`: the CI verdict on a run's memory trend (src/trend). Exit 0
 * no leak, 1 leak, 2 inconclusive (too short); user errors exit 64.
 */
export function checkCommand(): Command {
  const command = new Command('check')
    .description('judge whether a run leaks: exit 0 no leak, 1 leak, 2 inconclusive')
    .argument('[run]', 'run id (see leakwatch runs)')
    .option('--latest', 'check the most recent run')
    .option('--collector <url>', 'ask a running collector (http://host:port) instead of opening the data directory')
    .option('--snapshot-dir <dir>', 'where the collector kept the heap snapshots, for the suspects of a leak (default: <data dir>/snapshots)')
    .addHelpText('after', durationHelp(['--min-duration', '--warmup', `check.minDuration and check.warmup in ${PROJECT_CONFIG_FILE}`]));
  addCheckFlags(command);
  addStoreFlags(command);
  return command.action(async (runId: string | undefined, flags: CheckCommandFlags) => {
    if (!runId && !flags.latest) throw new LeakwatchError('LW_ERR_USAGE', 'name a run or pass --latest');
    const thresholds = resolveCheckThresholds(flags);
    const { run, result } = await verdictOf(runId, flags, thresholds);
    process.exitCode = emitVerdict(run.id, result, flags);
  });
}
