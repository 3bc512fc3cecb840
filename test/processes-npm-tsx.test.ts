import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { REPO_ROOT, runCli } from './helpers/cli';
import { runChecked, writeNpmApp, writeTsApp } from './helpers/process-apps';
import { makeTempDir } from './helpers/temp-dir';

/*
 * Real deployments under the real `leakwatch run --check`: `npm start` of a package whose start
 * script runs `node server.js`, and `tsx app.ts`. In both the probe loads into the launcher (npm,
 * tsx's CLI) as well as into the app; the launcher is listed as one, is not judged, and the
 * verdict is the app's and names it.
 */
const tmp = makeTempDir('processes-npm');
after(() => tmp.remove());
/** How long each app runs before it exits by itself (0): long enough for a verdict past a 5 s warm-up. */
const APP_S = 35;

test('npm start: npm is a launcher, the app (node server.js) is judged and named', { timeout: 100_000 }, async () => {
  const app = writeNpmApp(tmp.dir, APP_S * 1000);
  const run = await runChecked(tmp.dir, 'npm-start', ['npm', '--prefix', app, 'start'], {
    appS: APP_S,
    ready: (p) => p.processes.some((q) => q.role === 'launcher') && p.processes.some((q) => q.role === 'process' && q.sampleCount > 0),
  });
  const launcher = run.processes.processes.find((p) => p.role === 'launcher');
  const server = run.processes.processes.find((p) => p.role === 'process');
  assert.ok(launcher && server, JSON.stringify(run.processes));
  assert.match(launcher.argv.join(' '), /\bnpm\b.*\bstart\b/);
  assert.equal(launcher.verdict, null, 'the launcher is not judged');
  assert.equal(path.basename(server.argv[0]), 'server.js');
  assert.equal(server.label, `process (pid ${server.pid}, node server.js)`);
  assert.equal(run.processes.processes.length, 2, 'npm and the app, nothing else (sh is not Node)');

  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(run.verdict.verdict, 'leak');
  assert.equal(run.verdict.process?.boot, server.boot);
  assert.equal(run.verdict.reasons[0], `leak in process (pid ${server.pid}, node server.js)`);

  // `leakwatch check` on the stored run names the same process.
  const check = await runCli(['check', '--latest', '--data', path.join(tmp.dir, 'npm-start-data'), '--warmup', '5s', '--min-duration', '15s', '--max-slope', '1MB/h']);
  assert.equal(check.code, 1, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`^leak: run [\\w-]+, confidence .*\\n  leak in process \\(pid ${server.pid}, node server\\.js\\)\\n`));
});

test('tsx app.ts: tsx\'s launcher is a launcher, the .ts app is judged; the loader thread has no probe', { timeout: 100_000 }, async () => {
  const file = writeTsApp(tmp.dir, APP_S * 1000);
  const tsx = path.join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const run = await runChecked(tmp.dir, 'tsx', [tsx, '--expose-gc', file], {
    appS: APP_S,
    ready: (p) => p.processes.some((q) => q.role === 'launcher') && p.processes.some((q) => q.role === 'process' && q.sampleCount > 0),
  });
  // Neither Node's loader-hooks thread nor esbuild's service thread (both tsx's) has a probe.
  const roles = run.processes.processes.map((p) => p.role).sort();
  assert.deepEqual(roles, ['launcher', 'process'], JSON.stringify(run.processes));
  const appProcess = run.processes.processes.find((p) => p.role === 'process')!;
  const launcher = run.processes.processes.find((p) => p.role === 'launcher')!;
  assert.equal(appProcess.ppid, launcher.pid, 'the app is the launcher\'s child');
  assert.equal(path.basename(appProcess.argv[0]), 'app.ts');

  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.equal(run.verdict.verdict, 'leak');
  assert.equal(run.verdict.process?.boot, appProcess.boot);
  assert.match(run.verdict.reasons[0], new RegExp(`^leak in process \\(pid ${appProcess.pid}, node app\\.ts`));
});
