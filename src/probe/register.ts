/**
 * Attach entry: `node -r leakwatch/register app.js` (CommonJS) or
 * `node --import leakwatch/register app.mjs` (ESM), configured by LEAKWATCH_* variables.
 * A configuration mistake is reported in one line and the app runs unprofiled: the probe must
 * never be the reason a service fails to start.
 */
import { formatErrorLine } from '../shared/errors';
import { probeOptionsFromEnv } from '../shared/probe-config';
import { startProbe } from './index';

try {
  startProbe(probeOptionsFromEnv(process.env));
} catch (err) {
  process.stderr.write(`leakwatch probe not started: ${formatErrorLine(err)}\n`);
}
