import fs from 'node:fs';
import path from 'node:path';
import type { ProcessesBody, VerdictBody } from '../../src/api/http-contract';
import { startCli } from './cli';
import { getJson, waitFor } from './wait-for';

/*
 * Tiny apps deployed the ways real services are (npm scripts, a TypeScript runner, cluster,
 * worker_threads), written into a test's temp directory, and one way to run them: the real
 * `leakwatch run --check` with its embedded collector, reading the processes while it runs and
 * the verdict report when it ends.
 */

/**
 * Each app's work: a leaking one keeps 4 KB of strings every 20 ms, a healthy one makes and drops
 * the same. `stop()` clears every timer, so the app ends when its work is done (its probe says
 * bye on the way out) and nothing outlives the test whatever the run does; the timer that calls
 * it is unref'd, so a SIGTERM's stop ends the app at once.
 */
const WORK = `
const kept = [];
const timers = [];
function every(ms, fn) { timers.push(setInterval(fn, ms)); }
function stop() { for (const t of timers.splice(0)) clearInterval(t); }
function work(leak) {
  const chunk = Array.from({ length: 16 }, (_, i) => 'x'.repeat(256) + i + Math.random());
  if (leak) kept.push(chunk);
}
// A full GC every second (the app runs with --expose-gc): every detector window gets a heap-floor
// point however busy the machine is.
if (typeof gc === 'function') every(1000, () => gc());`;

export function writeNpmApp(dir: string, stopAfterMs: number): string {
  const app = path.join(dir, 'npm-app');
  fs.mkdirSync(app, { recursive: true });
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'npm-app', version: '1.0.0', private: true, scripts: { start: 'node --expose-gc server.js' } }));
  fs.writeFileSync(
    path.join(app, 'server.js'),
    `${WORK}\nevery(20, () => work(true));\nsetTimeout(stop, ${stopAfterMs}).unref();\nprocess.on('SIGTERM', stop);\n`,
  );
  return app;
}

export function writeTsApp(dir: string, stopAfterMs: number): string {
  const file = path.join(dir, 'app.ts');
  fs.writeFileSync(
    file,
    `interface Entry { at: number; body: string[] }
const kept: Entry[] = [];
const collect = (globalThis as { gc?: () => void }).gc;
const timers: NodeJS.Timeout[] = [setInterval(() => {
  kept.push({ at: Date.now(), body: Array.from({ length: 16 }, (_, i: number) => 'x'.repeat(256) + i + Math.random()) });
}, 20)];
if (collect) timers.push(setInterval(() => collect(), 1000));
const stop = (): void => timers.forEach((t) => clearInterval(t));
setTimeout(stop, ${stopAfterMs}).unref();
process.on('SIGTERM', stop);
`,
  );
  return file;
}

/** A cluster primary with two workers; only worker 2 (cluster id 2) leaks. */
export function writeClusterApp(dir: string, stopAfterMs: number): string {
  const file = path.join(dir, 'cluster-server.js');
  fs.writeFileSync(
    file,
    `const cluster = require('node:cluster');
${WORK}
if (cluster.isPrimary) {
  for (let i = 0; i < 2; i++) cluster.fork();
  const end = () => { stop(); cluster.disconnect(); };
  setTimeout(end, ${stopAfterMs}).unref();
  process.on('SIGTERM', end);
} else {
  every(20, () => work(cluster.worker.id === 2));
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
}
`,
  );
  return file;
}

/** A worker_threads pool of three; only the second worker leaks, and the main thread says its threadId. */
export function writePoolApp(dir: string, stopAfterMs: number): string {
  const file = path.join(dir, 'pool.js');
  fs.writeFileSync(
    file,
    `const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
${WORK}
if (isMainThread) {
  const workers = [0, 1, 2].map((i) => new Worker(__filename, { workerData: { leak: i === 1 } }));
  console.log('leaking thread ' + workers[1].threadId);
  every(100, () => work(false));
  const end = () => { stop(); for (const w of workers) w.postMessage('stop'); };
  setTimeout(end, ${stopAfterMs}).unref();
  process.on('SIGTERM', end);
} else {
  every(20, () => work(workerData.leak));
  parentPort.on('message', () => { stop(); parentPort.close(); });
}
`,
  );
  return file;
}

export interface CheckedRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The processes as the collector listed them near the end of the run. */
  processes: ProcessesBody;
  verdict: VerdictBody & { run: string };
}

/**
 * `leakwatch run --check --format json` on `command`, an app that stops by itself after `appS`
 * seconds (thresholds short enough for a verdict in that time; --duration is only a backstop),
 * with the processes read over the API until `ready` says they are all there, and read again
 * shortly before the app's end, for their sample counts and verdicts.
 */
export async function runChecked(
  dir: string,
  name: string,
  command: string[],
  options: {
    appS: number;
    env?: NodeJS.ProcessEnv;
    ready: (p: ProcessesBody) => boolean;
    /** Called with the collector's API base and the run while the app still runs, after the late read. */
    live?: (api: string, processes: ProcessesBody) => Promise<void>;
  },
): Promise<CheckedRun> {
  const report = path.join(dir, `${name}.json`);
  const startedAt = Date.now();
  const cli = startCli(
    [
      'run', '--port', '0', '--data', path.join(dir, `${name}-data`), '--name', name, '--interval', '250ms', '--duration', `${options.appS + 30}s`,
      '--check', '--no-check-snapshots', '--no-watch-suspects', '--warmup', '5s', '--min-duration', '15s', '--max-slope', '1MB/h',
      '--format', 'json', '--report', report,
      '--', ...command,
    ],
    options.env,
  );
  try {
    const [, base, runId] = await cli.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
    const url = `${base}/api/runs/${runId}/processes`;
    let processes = await waitFor(
      `the processes of ${name}`,
      async () => {
        const { status, body } = await getJson<ProcessesBody>(url);
        return status === 200 && options.ready(body) ? body : undefined;
      },
      options.appS * 1000,
      500,
    );
    // Once more shortly before the end: sample counts and the verdicts of nearly the whole run.
    const lateAt = startedAt + options.appS * 1000 - 5000;
    while (Date.now() < lateAt && cli.child.exitCode === null) await new Promise((r) => setTimeout(r, 250));
    if (cli.child.exitCode === null) processes = (await getJson<ProcessesBody>(url).catch(() => ({ status: 0, body: processes }))).body;
    if (options.live) await options.live(`${base}/api/runs/${runId}`, processes);
    const { code } = await cli.exited;
    const verdict = JSON.parse(fs.readFileSync(report, 'utf8')) as CheckedRun['verdict'];
    return { code, stdout: cli.stdout(), stderr: cli.stderr(), processes, verdict };
  } finally {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  }
}
