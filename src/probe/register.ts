/**
 * Attach entry: `node -r leakwatch/register app.js` (CommonJS) or
 * `node --import leakwatch/register app.mjs` (ESM), configured by LEAKWATCH_* variables.
 * A configuration mistake is reported in one line and the app runs unprofiled: the probe must
 * never be the reason a service fails to start.
 */
import { formatErrorLine } from '../shared/errors';
import { PROBE_ENV, probeOptionsFromEnv } from '../shared/probe-config';
import { startProbe } from './index';

try {
  const options = probeOptionsFromEnv(process.env);
  // Out of the environment once read: app code that copies process.env (config loaders, logs of
  // the environment) would put the token on the heap the probe ships as snapshots. Processes the
  // app starts inherit LEAKWATCH_TOKEN_FILE instead, when that is how the token was given.
  delete process.env[PROBE_ENV.token];
  startProbe(options);
} catch (err) {
  process.stderr.write(`leakwatch probe not started: ${formatErrorLine(err)}\n`);
}
