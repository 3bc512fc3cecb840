import type { Command } from 'commander';
import {
  DEFAULT_ALLOC_STACK_DEPTH,
  MAX_ALLOC_INTERVAL_BYTES,
  MAX_ALLOC_STACK_DEPTH,
  MIN_ALLOC_EVERY_MS,
  MIN_ALLOC_INTERVAL_BYTES,
  PROBE_ENV,
} from '../shared/probe-config';
import { durationEnv, parseDuration } from '../shared/duration';
import { parseByteSize, parseInteger } from '../shared/units';

/** `leakwatch run`'s allocation sampling flags, as commander hands them over. */
export interface AllocFlags {
  /** false with --no-alloc-sampling. */
  allocSampling?: boolean;
  allocInterval?: string;
  allocStackDepth?: string;
  allocEvery?: string;
}

export function addAllocFlags(command: Command): Command {
  return command
    .option('--no-alloc-sampling', "turn off V8's sampling heap profiler in the command (on by default: live allocation sites, no pause)")
    .option('--alloc-interval <bytes>', 'mean bytes between two allocation samples: 512KiB (default), 512k, 1MiB, 1m or a number of bytes (1KiB-1GiB)')
    .option(
      '--alloc-stack-depth <n>',
      `frames kept per allocation site, 1-${MAX_ALLOC_STACK_DEPTH} (default ${DEFAULT_ALLOC_STACK_DEPTH}; V8 always samples ${MAX_ALLOC_STACK_DEPTH} deep, this is how many the probe keeps)`,
    )
    .option('--alloc-every <duration>', 'send the live allocation profile every this long (default 60s, at least 1s)');
}

/**
 * Checks the flags here, so a typo fails `leakwatch run` with one line before the command starts,
 * and hands them to the child's probe as LEAKWATCH_ALLOC_* variables in the form it parses.
 */
export function allocFlagsToEnv(flags: AllocFlags): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  if (flags.allocSampling === false) env[PROBE_ENV.allocSampling] = '0';
  if (flags.allocInterval !== undefined) {
    env[PROBE_ENV.allocInterval] = `${parseByteSize(flags.allocInterval, '--alloc-interval', MIN_ALLOC_INTERVAL_BYTES, MAX_ALLOC_INTERVAL_BYTES)}`;
  }
  if (flags.allocStackDepth !== undefined) env[PROBE_ENV.allocStackDepth] = `${parseInteger(flags.allocStackDepth, '--alloc-stack-depth', 1, MAX_ALLOC_STACK_DEPTH)}`;
  if (flags.allocEvery !== undefined) {
    // Explicit milliseconds: the probe reads a bare number as seconds.
    env[PROBE_ENV.allocEvery] = durationEnv(parseDuration(flags.allocEvery, '--alloc-every', { min: MIN_ALLOC_EVERY_MS }));
  }
  return env;
}
