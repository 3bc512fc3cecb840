import path from 'node:path';

/**
 * Environment that preloads fixtures/steady-major-gc into the named sample script only: a full GC
 * every second, so a one-minute test run has a heap-floor point in every detector window. Without
 * it, how many full GCs V8 runs in a minute depends on the machine, and a short run can be judged
 * inconclusive ("only one full GC ran"), which is the right answer for it but not what the test checks.
 */
export function steadyGcEnv(script: string): NodeJS.ProcessEnv {
  const preload = path.join(__dirname, '..', 'fixtures', 'steady-major-gc.js');
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${preload}`.trim(), STEADY_GC_SCRIPT: script };
}
