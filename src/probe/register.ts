/**
 * Attach entry: `node -r leakwatch/register app.js` (CommonJS) or
 * `node --import leakwatch/register app.mjs` (ESM), configured by LEAKWATCH_* variables.
 * A configuration mistake is reported in one line and the app runs unprofiled: the probe must
 * never be the reason a service fails to start.
 */
import { formatErrorLine } from '../shared/errors';
import { PROBE_ENV, probeOptionsFromEnv } from '../shared/probe-config';
import { startProbe } from './index';
import { isInternalThread } from './process-identity';

/*
 * Node 20 runs a `-r` preload (on the command line or in NODE_OPTIONS, which is how `leakwatch
 * run` attaches) in every worker thread as well, so each `new Worker()` gets its own probe and its
 * own boot, sampling its own isolate. The tooling's threads (Node's loader hooks, esbuild's
 * service thread under tsx) get the preload too and are skipped (process-identity.ts). `--import` preloads run in the main thread only in Node 20: a worker of an app
 * attached that way calls startProbe() itself (README, "Workers and clusters").
 */
function attach(): void {
  if (isInternalThread()) return;
  const options = probeOptionsFromEnv(process.env);
  // Out of the environment once read: app code that copies process.env (config loaders, logs of
  // the environment) would put the token on the heap the probe ships as snapshots. Processes the
  // app starts inherit LEAKWATCH_TOKEN_FILE instead, when that is how the token was given.
  delete process.env[PROBE_ENV.token];
  startProbe(options);
}

try {
  attach();
} catch (err) {
  process.stderr.write(`leakwatch probe not started: ${formatErrorLine(err)}\n`);
}
