import fs from 'node:fs';
import path from 'node:path';
import { LeakwatchError } from '../shared/errors';

/** The project file CI jobs keep their thresholds in, looked up in the working directory. */
export const PROJECT_CONFIG_FILE = 'leakwatch.config.json';

export interface CheckConfig {
  maxSlope?: string;
  minDuration?: string;
  warmup?: string;
}

/**
 * Reads `leakwatch.config.json` (`{ "check": { "maxSlope": "1MB/h", "minDuration": "10m", "warmup": "60s" } }`).
 * Durations follow the flags' rule: a unit, or a bare number of seconds (`"600"` or `600`).
 * A missing file is no configuration; a malformed one is a one-line LW_ERR_CONFIG, never ignored
 * (a CI job must not silently run with defaults it did not ask for).
 */
export function readCheckConfig(dir = process.cwd()): CheckConfig {
  const file = path.join(dir, PROJECT_CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new LeakwatchError('LW_ERR_CONFIG', `cannot read ${PROJECT_CONFIG_FILE}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LeakwatchError('LW_ERR_CONFIG', `${PROJECT_CONFIG_FILE} is not valid JSON (${(err as Error).message.split('\n')[0]})`);
  }
  const check = (parsed as { check?: unknown } | null)?.check;
  if (check === undefined) return {};
  if (typeof check !== 'object' || check === null || Array.isArray(check)) throw new LeakwatchError('LW_ERR_CONFIG', `${PROJECT_CONFIG_FILE}: "check" must be an object`);
  const out: CheckConfig = {};
  for (const [key, value] of Object.entries(check)) {
    if (key !== 'maxSlope' && key !== 'minDuration' && key !== 'warmup') throw new LeakwatchError('LW_ERR_CONFIG', `${PROJECT_CONFIG_FILE}: unknown setting check.${key} (known: maxSlope, minDuration, warmup)`);
    // A JSON number is a bare number: seconds for the durations, as on the command line.
    if (typeof value === 'number' && key !== 'maxSlope') out[key] = String(value);
    else if (typeof value === 'string') out[key] = value;
    else throw new LeakwatchError('LW_ERR_CONFIG', `${PROJECT_CONFIG_FILE}: check.${key} must be ${key === 'maxSlope' ? 'a string such as "1MB/h"' : 'a duration such as "10m" or a number of seconds'}`);
  }
  return out;
}
