import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import type { RunSummary } from '../shared/types';
import { parseDuration, parseRatePerHour } from '../shared/units';
import { openStore } from '../store/open-store';
import type { GcResult, SeriesResult } from '../store/types';
import { detectLeak } from '../trend/detect-leak';
import type { TrendResult } from '../trend/types';
import { callCollector } from './api-client';
import { CHECK_EXIT_CODES, checkJunit, checkText } from './check-report';
import { readDataDirOwner } from './data-dir-owner';
import { addStoreFlags, storeOptionsFrom, type StoreFlags } from './store-flags';
import { TREND_METRICS, TREND_POINTS, trendInputFrom } from './trend-input';

interface CheckFlags extends StoreFlags {
  latest?: boolean;
  collector?: string;
  maxSlope: string;
  minDuration: string;
  format: string;
  report?: string;
}

interface RunData {
  run: RunSummary;
  series: SeriesResult;
  gc: GcResult;
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

/** Reads the run through the collector that owns the data (or --collector), else from the store. */
async function loadRunData(runId: string | undefined, flags: CheckFlags): Promise<RunData> {
  let collectorUrl = flags.collector;
  if (!collectorUrl && !flags.clickhouse) collectorUrl = readDataDirOwner(path.resolve(flags.data))?.url;
  const query = `metrics=${TREND_METRICS.join(',')}&points=${TREND_POINTS}`;
  if (collectorUrl) {
    const { runs } = await callCollector<{ runs: RunSummary[] }>(collectorUrl, 'api/runs');
    const run = pickRun(runs, runId, flags.latest === true);
    const id = encodeURIComponent(run.id);
    const series = await callCollector<SeriesResult>(collectorUrl, `api/runs/${id}/series?${query}`);
    const gc = await callCollector<GcResult>(collectorUrl, `api/runs/${id}/gc?points=${TREND_POINTS}`);
    return { run, series, gc };
  }
  const store = await openStore(storeOptionsFrom(flags));
  try {
    const run = pickRun(await store.listRuns(), runId, flags.latest === true);
    const series = await store.querySeries(run.id, TREND_METRICS, { points: TREND_POINTS });
    const gc = await store.queryGc(run.id, { points: TREND_POINTS });
    return { run, series, gc };
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
    const data = await loadRunData(runId, flags);
    const result = detectLeak(trendInputFrom(data.series, data.gc), options);
    process.stdout.write(render(flags.format, data.run.id, result));
    if (flags.report) {
      const format = flags.format === 'text' ? 'json' : flags.format;
      try {
        fs.writeFileSync(flags.report, render(format, data.run.id, result));
      } catch (err) {
        throw new LeakwatchError('LW_ERR_CONFIG', `cannot write the report to ${flags.report}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
    process.exitCode = CHECK_EXIT_CODES[result.verdict];
  });
}
