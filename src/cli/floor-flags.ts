import type { Command } from 'commander';
import { MAX_MEASURE_FLOOR_BUDGET, MIN_MEASURE_FLOOR_EVERY_MS, PROBE_ENV } from '../shared/probe-config';
import { parseDuration, parseShare } from '../shared/units';

/** `leakwatch run`'s measured-floor flags, as commander hands them over. */
export interface FloorFlags {
  /** true with --measure-floor, false with --no-measure-floor, undefined when neither was given. */
  measureFloor?: boolean;
  measureFloorEvery?: string;
  measureFloorBudget?: string;
}

export function addFloorFlags(command: Command): Command {
  return command
    .option('--measure-floor', "measure the heap floor: the probe asks V8 for a full GC on a budget and records heap used after it (default with --check)")
    .option('--no-measure-floor', 'leave full GCs to V8, also with --check')
    .option('--measure-floor-every <duration>', 'at least this long between two measured floor points (default 10s, at least 1s)')
    .option('--measure-floor-budget <share>', 'the most of wall time the measuring GCs may take (default 1%, at most 10%)');
}

/**
 * The probe's LEAKWATCH_MEASURE_FLOOR* variables for the command. A soak judged by `--check`
 * measures its floor unless told not to: its verdict then needs neither V8's own full GCs nor
 * fixtures that force them. Values are checked here, so a typo fails before the command starts.
 */
export function floorFlagsToEnv(flags: FloorFlags, check: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const on = flags.measureFloor ?? check;
  env[PROBE_ENV.measureFloor] = on ? '1' : '0';
  if (flags.measureFloorEvery !== undefined) {
    const everyMs = parseDuration(flags.measureFloorEvery, '--measure-floor-every', { min: MIN_MEASURE_FLOOR_EVERY_MS });
    env[PROBE_ENV.measureFloorEvery] = `${everyMs}ms`;
  }
  if (flags.measureFloorBudget !== undefined) {
    env[PROBE_ENV.measureFloorBudget] = `${parseShare(flags.measureFloorBudget, '--measure-floor-budget', MAX_MEASURE_FLOOR_BUDGET)}`;
  }
  return env;
}
