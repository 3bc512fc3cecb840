import fs from 'node:fs';
import type { Command } from 'commander';
import { LeakwatchError } from '../shared/errors';
import { parseDuration } from '../shared/duration';
import { parseRatePerHour } from '../shared/units';
import { MIN_DURATION_RULE, WARMUP_RULE } from '../shared/verdict-spans';
import type { VerdictBody } from '../api/http-contract';
import type { TrendOptions } from '../trend/trend-model';
import { CHECK_EXIT_CODES, checkJunit, checkText } from './check-report';
import { PROJECT_CONFIG_FILE, readCheckConfig } from './project-config';

export interface CheckFlags {
  maxSlope?: string;
  minDuration?: string;
  warmup?: string;
  format: string;
  report?: string;
}

export const DEFAULT_MAX_SLOPE = '1MB/h';
export const DEFAULT_MIN_DURATION = '10m';
export const DEFAULT_WARMUP = '60s';

/** The verdict flags shared by `leakwatch check` and `leakwatch run --check`. */
export function addCheckFlags(command: Command): Command {
  return command
    .option('--max-slope <rate>', `growth tolerated before it counts as a leak (default ${DEFAULT_MAX_SLOPE}, or check.maxSlope in ${PROJECT_CONFIG_FILE})`)
    .option('--min-duration <duration>', `runs shorter than this after warm-up are inconclusive (default ${DEFAULT_MIN_DURATION}, or check.minDuration; 0: no minimum)`)
    .option('--warmup <duration>', `start of the run left out (at least 10 % of it is) (default ${DEFAULT_WARMUP}, or check.warmup; 0: only that 10 %)`)
    .option('--format <format>', 'text, json or junit', 'text')
    .option('--report <file>', 'also write the report (in --format, json when text) to this file');
}

/** The verdict settings: as typed (the query parameters of GET /api/runs/:id/verdict) and parsed. */
export interface CheckThresholds {
  maxSlope: string;
  minDuration: string;
  warmup: string;
  options: Partial<TrendOptions>;
}

/** Thresholds: the flag, else the project file, else the default; checked here (one-line errors). */
export function resolveCheckThresholds(flags: CheckFlags): CheckThresholds {
  if (!['text', 'json', 'junit'].includes(flags.format)) throw new LeakwatchError('LW_ERR_USAGE', `--format must be text, json or junit, not "${flags.format}"`);
  const config = readCheckConfig();
  const pick = (flag: string | undefined, key: 'maxSlope' | 'minDuration' | 'warmup', option: string, fallback: string) =>
    flag !== undefined ? { value: flag, what: option } : config[key] !== undefined ? { value: config[key]!, what: `${PROJECT_CONFIG_FILE} check.${key}` } : { value: fallback, what: option };
  const maxSlope = pick(flags.maxSlope, 'maxSlope', '--max-slope', DEFAULT_MAX_SLOPE);
  const minDuration = pick(flags.minDuration, 'minDuration', '--min-duration', DEFAULT_MIN_DURATION);
  const warmup = pick(flags.warmup, 'warmup', '--warmup', DEFAULT_WARMUP);
  return {
    maxSlope: maxSlope.value,
    minDuration: minDuration.value,
    warmup: warmup.value,
    options: {
      maxSlopeBytesPerHour: parseRatePerHour(maxSlope.value, maxSlope.what),
      minDurationMs: parseDuration(minDuration.value, minDuration.what, MIN_DURATION_RULE),
      warmupMs: parseDuration(warmup.value, warmup.what, WARMUP_RULE),
    },
  };
}

function render(format: string, runId: string, result: VerdictBody): string {
  if (format === 'json') return `${JSON.stringify({ run: runId, ...result }, null, 2)}\n`;
  if (format === 'junit') return checkJunit(runId, result);
  return checkText(runId, result);
}

/** Prints the verdict, writes the report file when asked, and returns the exit code for it. */
export function emitVerdict(runId: string, result: VerdictBody, flags: CheckFlags): number {
  process.stdout.write(render(flags.format, runId, result));
  if (flags.report) {
    const format = flags.format === 'text' ? 'json' : flags.format;
    try {
      fs.writeFileSync(flags.report, render(format, runId, result));
    } catch (err) {
      throw new LeakwatchError('LW_ERR_CONFIG', `cannot write the report to ${flags.report}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  return CHECK_EXIT_CODES[result.verdict];
}
