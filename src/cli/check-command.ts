import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import type { RunSummary } from '../shared/types';
import { parseDuration, parseRatePerHour } from '../shared/units';
import { openStore } from '../store/open-store';
import { runVerdict } from '../collector/run-verdict';
import type { TrendOptions, TrendResult } from '../trend/types';
import { callCollector } from './api-client';
import { CHECK_EXIT_CODES, checkJunit, checkText } from './check-report';
import { readDataDirOwner } from './data-dir-owner';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';

interface CheckFlags extends StoreFlags {
  latest?: boolean;
  collector?: string;
  maxSlope: string;
  minDuration: string;
  format: string;
  report?: string;
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
async function verdictOf(runId: string | undefined, flags: CheckFlags, options: Partial<TrendOptions>): Promise<{ run: RunSummary; result: TrendResult }> {
  let collectorUrl = flags.collector;
  if (!collectorUrl && !flags.clickhouse) collectorUrl = readDataDirOwner(path.resolve(flags.data))?.url;
  if (collectorUrl) {
    const { runs } = await callCollector<{ runs: RunSummary[] }>(collectorUrl, 'api/runs');
    const run = pickRun(runs, runId, flags.latest === true);
    const query = `maxSlope=${encodeURIComponent(flags.maxSlope)}&minDuration=${encodeURIComponent(flags.minDuration)}`;
    return { run, result: await callCollector<TrendResult>(collectorUrl, `api/runs/${encodeURIComponent(run.id)}/verdict?${query}`) };
  }
  const store = await openStore(storeOptionsFrom(flags));
  try {
    const run = pickRun(await store.listRuns(), runId, flags.latest === true);
    return { run, result: await runVerdict(store, run.id, options) };
  } finally {
    await store.close();
  }
}

function render(format: string, runId: string, result: TrendResult): string {
  if (format === 'json') return `${JSON.stringify({ run: runId, ...result }, null, 2)}\n`;
  if (format === 'junit') return checkJunit(runId, result);
  return checkText(runId, result);
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
    .option('--max-slope <rate>', 'growth tolerated before it counts as a leak', '1MB/h')
    .option('--min-duration <duration>', 'runs shorter than this (after warm-up) are inconclusive', '10m')
    .option('--format <format>', 'text, json or junit', 'text')
    .option('--report <file>', 'also write the report (in --format, json when text) to this file')
    .option('--collector <url>', 'ask a running collector (http://host:port) instead of opening the data directory');
  addStoreFlags(command);
  return command.action(async (runId: string | undefined, flags: CheckFlags) => {
    if (!runId && !flags.latest) throw new LeakwatchError('LW_ERR_USAGE', 'name a run or pass --latest');
    if (!['text', 'json', 'junit'].includes(flags.format)) throw new LeakwatchError('LW_ERR_USAGE', `--format must be text, json or junit, not "${flags.format}"`);
    const options = {
      maxSlopeBytesPerHour: parseRatePerHour(flags.maxSlope, '--max-slope'),
      minDurationMs: parseDuration(flags.minDuration, '--min-duration'),
    };
    const { run, result } = await verdictOf(runId, flags, options);
    process.stdout.write(render(flags.format, run.id, result));
    if (flags.report) {
      const format = flags.format === 'text' ? 'json' : flags.format;
      try {
        fs.writeFileSync(flags.report, render(format, run.id, result));
      } catch (err) {
        throw new LeakwatchError('LW_ERR_CONFIG', `cannot write the report to ${flags.report}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    process.exitCode = CHECK_EXIT_CODES[result.verdict];
  });
}
