import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { parseProcStat } from '../src/cli/process-tree';
import type { RunSummary } from '../src/shared/run-data';
import { REPO_ROOT, runCli, startCli, type CliProcess } from './helpers/cli';
import { freePort } from './helpers/free-port';
import { makeTempDir } from './helpers/temp-dir';
import { getJson, waitFor } from './helpers/wait-for';

const NODE = process.execPath;
const KEEPER = path.join(__dirname, 'fixtures', 'tree-keeper.js');
const DOUBLE_FORK = path.join(__dirname, 'fixtures', 'tree-double-fork.js');
const ENV_DUMP = path.join(__dirname, 'fixtures', 'tree-env-dump.js');
const REGISTER = path.join(REPO_ROOT, 'dist', 'src', 'probe', 'register.js');

const temp = makeTempDir('process-tree');
/** Every fixture pid and every process a test started: whatever a failing test left is killed. */
const started = new Set<number>();
const clis: CliProcess[] = [];
const others: ChildProcess[] = [];

after(() => {
  for (const cli of clis) cli.child.kill('SIGKILL');
  for (const child of others) child.kill('SIGKILL');
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already: the point of these tests.
    }
  }
  temp.remove();
});

function cli(args: string[], env?: NodeJS.ProcessEnv): CliProcess {
  const started = startCli(args, env);
  clis.push(started);
  return started;
}

let dirs = 0;
function freshDir(): string {
  const dir = path.join(temp.dir, `t${++dirs}`);
  fs.mkdirSync(dir);
  return dir;
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8'));
    if (!Number.isInteger(pid) || pid <= 1) return undefined;
    started.add(pid);
    return pid;
  } catch {
    return undefined;
  }
}

function waitForPids(files: string[], timeoutMs = 60_000): Promise<number[]> {
  return waitFor(`pid files ${files.map((f) => path.basename(f)).join(', ')}`, () => {
    const pids = files.map(readPid);
    return pids.every((p) => p !== undefined) ? (pids as number[]) : undefined;
  }, timeoutMs);
}

function statOf(pid: number) {
  try {
    return parseProcStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * A fixture process still running: a zombie is dead (only its entry waits to be reaped, by an
 * init that may never do it here), and the command line must still be a fixture's, so that a
 * pid the kernel gave to another process since is not mistaken for ours.
 */
function isAlive(pid: number): boolean {
  const stat = statOf(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tree-');
  } catch {
    return false;
  }
}

function assertAllStopped(pids: number[], stderr: string): void {
  const alive = pids.filter(isAlive);
  assert.deepEqual(alive, [], `no process of the run outlives leakwatch run; alive: ${alive.join(', ')}; stderr: ${stderr}`);
}

/** The shell line of the report: two node processes in the background, the shell waiting for them. */
function twoBackgroundNodes(a: string, b: string): string {
  return `'${NODE}' '${KEEPER}' '${a}' & '${NODE}' '${KEEPER}' '${b}' ignore-term & wait`;
}

test('--duration stops the whole tree: SIGTERM first, SIGKILL after --kill-after for a process that ignores it', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const [a, b] = [path.join(dir, 'a.pid'), path.join(dir, 'b.pid')];
  const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--duration', '8s', '--kill-after', '2s', '--', 'bash', '-c', twoBackgroundNodes(a, b)]);
  const exit = await run.exited;
  const pids = [readPid(a), readPid(b)];
  assert.ok(pids.every((p) => p !== undefined), `both node processes started within the duration; stderr: ${run.stderr()}`);
  assert.equal(exit.code, 0, `stopped by --duration: exit 0; stderr: ${run.stderr()}`);
  assertAllStopped(pids as number[], run.stderr());
  // b was asked first, and only SIGKILL ended it.
  assert.match(run.stderr(), new RegExp(`tree-keeper ${pids[1]}: ignoring SIGTERM`));
  assert.match(run.stderr(), new RegExp(`1 process of the run still running .*\\(pid ${pids[1]}\\): sending SIGKILL`));
});

const SIGNAL_EXIT_CODES = { SIGTERM: 143, SIGINT: 130, SIGHUP: 129 } as const;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  test(`${signal} to leakwatch run stops the whole tree and exits with the command's code`, { timeout: 120_000 }, async () => {
    const dir = freshDir();
    const [a, b] = [path.join(dir, 'a.pid'), path.join(dir, 'b.pid')];
    const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--kill-after', '2s', '--', 'bash', '-c', twoBackgroundNodes(a, b)]);
    const pids = await waitForPids([a, b]);
    run.child.kill(signal);
    const exit = await run.exited;
    assertAllStopped(pids, run.stderr());
    // The shell died of the forwarded signal: 128 + its number, as without leakwatch.
    assert.equal(exit.code, SIGNAL_EXIT_CODES[signal], run.stderr());
  });
}

test('a second signal while the tree stops sends SIGKILL at once, not after --kill-after', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const a = path.join(dir, 'a.pid');
  const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--kill-after', '10m', '--', NODE, KEEPER, a, 'ignore-term']);
  const [pid] = await waitForPids([a]);
  run.child.kill('SIGTERM');
  await waitFor('the keeper to shrug off SIGTERM', () => run.stderr().includes(`tree-keeper ${pid}: ignoring SIGTERM`), 30_000);
  run.child.kill('SIGINT');
  const exit = await run.exited;
  assertAllStopped([pid], run.stderr());
  assert.match(run.stderr(), new RegExp(`still running after a second signal \\(pid ${pid}\\): sending SIGKILL`));
  assert.equal(exit.code, 137, 'the command died of SIGKILL: 128 + 9');
});

test('a command that exits leaving a background node child: the child is stopped (SIGTERM is enough for it)', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const a = path.join(dir, 'a.pid');
  // A grace far longer than the test waits: had the child needed SIGKILL, stderr would say so.
  const script = `'${NODE}' '${KEEPER}' '${a}' & while [ ! -s '${a}' ]; do sleep 0.1; done; exit 3`;
  const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--kill-after', '60s', '--', 'bash', '-c', script]);
  const exit = await run.exited;
  const pid = readPid(a);
  assert.ok(pid, `the background child started; stderr: ${run.stderr()}`);
  assert.equal(exit.code, 3, `the command's own exit code; stderr: ${run.stderr()}`);
  assertAllStopped([pid], run.stderr());
  assert.doesNotMatch(run.stderr(), /sending SIGKILL/);
});

test('--duration over a wrapper that passes SIGTERM on and exits 143 (as tsx does) is the run ending as asked: exit 0', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const a = path.join(dir, 'a.pid');
  const script = `trap 'kill -TERM $child 2>/dev/null; wait $child; exit 143' TERM; '${NODE}' '${KEEPER}' '${a}' & child=$!; wait $child`;
  const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--duration', '3s', '--', 'bash', '-c', script]);
  const exit = await run.exited;
  assert.equal(exit.code, 0, `stopped by --duration, not failed; stderr: ${run.stderr()}`);
  const pid = readPid(a);
  assert.ok(pid);
  assertAllStopped([pid], run.stderr());
});

test('descendants that left the group: a double-forked daemon (re-parented, own session) and a setsid one are stopped', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const [c, d, a] = ['c.pid', 'd.pid', 'a.pid'].map((f) => path.join(dir, f));
  const script = `'${NODE}' '${DOUBLE_FORK}' '${c}' ignore-term; setsid '${NODE}' '${KEEPER}' '${d}' & exec '${NODE}' '${KEEPER}' '${a}'`;
  const run = cli(['run', '--port', '0', '--data', path.join(dir, 'data'), '--kill-after', '2s', '--', 'bash', '-c', script]);
  const [cPid, dPid, aPid] = await waitForPids([c, d, a]);
  // The setup is what the test says it is: c and d lead sessions of their own, and c's parent is
  // no process of the run any more (the intermediate exited; c went to init or a subreaper).
  const [cStat, dStat, aStat] = [statOf(cPid), statOf(dPid), statOf(aPid)];
  assert.ok(cStat && dStat && aStat);
  assert.equal(cStat.session, cPid, 'the double-forked keeper leads its own session');
  assert.equal(dStat.session, dPid, 'the setsid keeper leads its own session');
  assert.notEqual(cStat.pgrp, aStat.pgrp);
  assert.ok(![aPid, dPid, run.child.pid].includes(cStat.ppid), `c was re-parented away (ppid ${cStat.ppid})`);
  run.child.kill('SIGTERM');
  await run.exited;
  assertAllStopped([cPid, dPid, aPid], run.stderr());
  // The escaped daemon ignores SIGTERM: it was found again for the SIGKILL.
  assert.match(run.stderr(), new RegExp(`sending SIGKILL`));
});

test('leakwatch run crashing (an uncaught exception) still takes its tree with it', { timeout: 60_000 }, async () => {
  const dir = freshDir();
  const a = path.join(dir, 'a.pid');
  const crash = spawn(NODE, [path.join(__dirname, 'fixtures', 'tree-crash.js'), a], { stdio: ['ignore', 'ignore', 'pipe'] });
  others.push(crash);
  let stderr = '';
  crash.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => crash.once('exit', (c) => resolve(c)));
  const pid = readPid(a);
  assert.ok(pid, `the keeper started: ${stderr}`);
  assert.match(stderr, /a bug in leakwatch run/);
  assert.equal(code, 1);
  // Immediately: SIGKILL was sent on the way out; the kernel needs a moment to finish it.
  await waitFor('the keeper to be gone', () => !isAlive(pid), 5000, 20);
});

/** A probe'd keeper started by the test with `env` instead of the test's LEAKWATCH_* variables. */
function startStray(env: Record<string, string | undefined>, pidFile: string): { child: ChildProcess; stderr: () => string } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LEAKWATCH_') && k !== 'NODE_OPTIONS'));
  const child = spawn(NODE, [KEEPER, pidFile], { env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  others.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return { child, stderr: () => err };
}

async function sampleCount(base: string, runId: string): Promise<number> {
  const { status, body } = await getJson<{ run?: RunSummary }>(`${base}/api/runs/${runId}`);
  if (status === 404) return 0;
  assert.equal(status, 200);
  return body.run?.sampleCount ?? 0;
}

/**
 * A probe with no token, of a run of its own, on the same collector: it proves the collector
 * takes samples, and that the stray's run had as long to be stored as the control's.
 */
async function controlProbeStores(base: string, dir: string): Promise<void> {
  const runId = randomUUID();
  startStray({ NODE_OPTIONS: `--require "${REGISTER}"`, LEAKWATCH_COLLECTOR: `${base.replace(/^http/, 'ws')}/ingest`, LEAKWATCH_RUN_ID: runId, LEAKWATCH_INTERVAL: '200ms' }, path.join(dir, 'control.pid'));
  await waitFor('the control probe\'s samples', async () => (await sampleCount(base, runId)) >= 5, 60_000, 200);
}

test('a probe of an ended run does not write into the next collector on the same port (stray with the old env)', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const port = await freePort();
  const dump = path.join(dir, 'env.json');
  const first = await runCli(['run', '--port', String(port), '--data', path.join(dir, 'data1'), '--duration', '8s', '--', NODE, ENV_DUMP, dump]);
  assert.equal(first.code, 0, first.stderr);
  const old = JSON.parse(fs.readFileSync(dump, 'utf8')) as { pid: number; env: Record<string, string>; token?: string };
  started.add(old.pid);
  assert.ok(!isAlive(old.pid));
  const runId = old.env.LEAKWATCH_RUN_ID;
  assert.ok(runId && old.token, 'the run handed its process a run id and a probe token');

  const collect = cli(['collect', '--port', String(port), '--data', path.join(dir, 'data2')]);
  const [, base] = await collect.waitForLine(/listening on (http:\/\/\S+)/);
  // Exactly the old environment: its token file went with the run.
  const asStarted = startStray(old.env, path.join(dir, 'stray-env.pid'));
  // A process of the run that had read its token and survived: it presents it.
  const { LEAKWATCH_TOKEN_FILE: _gone, ...withoutFile } = old.env;
  const holding = startStray({ ...withoutFile, LEAKWATCH_TOKEN: old.token }, path.join(dir, 'stray-token.pid'));
  await waitForPids([path.join(dir, 'stray-env.pid'), path.join(dir, 'stray-token.pid')]);
  await waitFor('the token-holding stray to be refused', () => holding.stderr().includes('LW_ERR_RUN_ENDED'), 60_000);
  assert.match(holding.stderr(), /probe stopped for good/);
  assert.match(asStarted.stderr(), /leakwatch probe not started: LW_ERR_CONFIG: .*token file/);
  await controlProbeStores(base, dir);
  assert.equal(await sampleCount(base, runId), 0, 'the ended run has no samples in the new collector');
  assert.match(collect.stderr() + collect.stdout(), /refused: LW_ERR_RUN_ENDED/);
  collect.child.kill('SIGINT');
  assert.equal((await collect.exited).code, 0, collect.stderr());
});

test('a process that survived a SIGKILL of leakwatch run is refused by the next collector on the port, and its probe stops', { timeout: 150_000 }, async () => {
  const dir = freshDir();
  const port = await freePort();
  const s = path.join(dir, 's.pid');
  const run = cli(['run', '--port', String(port), '--data', path.join(dir, 'data1'), '--interval', '200ms', '--', NODE, KEEPER, s]);
  const [, firstBase, runId] = await run.waitForLine(/leakwatch UI: (http:\/\/[^/\s]+)\/runs\/([\w-]+)/);
  const [pid] = await waitForPids([s]);
  await waitFor('the run\'s first samples', async () => (await sampleCount(firstBase, runId)) > 0, 60_000, 200);
  // Nothing of leakwatch runs after a SIGKILL: the process lives on, its probe reconnecting.
  run.child.kill('SIGKILL');
  await run.exited;
  assert.ok(isAlive(pid), 'the process outlived the SIGKILLed leakwatch (no stop could run)');

  const collect = cli(['collect', '--port', String(port), '--data', path.join(dir, 'data2')]);
  const [, base] = await collect.waitForLine(/listening on (http:\/\/\S+)/);
  // The probe's backoff after losing its collector is at most 30 s between attempts.
  await waitFor('the survivor\'s probe to be refused', () => run.stderr().includes('LW_ERR_RUN_ENDED'), 90_000, 200);
  assert.match(run.stderr(), /probe stopped for good/);
  await controlProbeStores(base, dir);
  assert.equal(await sampleCount(base, runId), 0, 'the survivor wrote nothing into the new collector');
  collect.child.kill('SIGINT');
  assert.equal((await collect.exited).code, 0, collect.stderr());
});

test('run --collector: the long-lived collector issues the run token (with its probe token) and revokes it when the run ends', { timeout: 150_000 }, async () => {
  const dir = freshDir();
  const port = await freePort();
  const probeTokenFile = path.join(dir, 'probe-token');
  fs.writeFileSync(probeTokenFile, 'the-collectors-probe-token\n');
  const collect = cli(['collect', '--port', String(port), '--data', path.join(dir, 'data'), '--token-file', probeTokenFile]);
  const [, base] = await collect.waitForLine(/listening on (http:\/\/\S+)/);

  // Without the collector's probe token there is no run token either: one line before anything starts.
  const refused = await runCli(['run', '--collector', base, '--', NODE, KEEPER, path.join(dir, 'never.pid')], { LEAKWATCH_TOKEN: '' });
  assert.equal(refused.code, 64, refused.stderr);
  assert.match(refused.stderr, /^leakwatch: LW_ERR_AUTH: .*probe token/);
  assert.ok(!fs.existsSync(path.join(dir, 'never.pid')), 'the command was not started');

  const dump = path.join(dir, 'env.json');
  const run = await runCli(['run', '--collector', base, '--token-file', probeTokenFile, '--interval', '200ms', '--duration', '8s', '--', NODE, ENV_DUMP, dump], { LEAKWATCH_TOKEN: '' });
  assert.equal(run.code, 0, run.stderr);
  const old = JSON.parse(fs.readFileSync(dump, 'utf8')) as { pid: number; env: Record<string, string>; token?: string };
  started.add(old.pid);
  const runId = old.env.LEAKWATCH_RUN_ID;
  assert.ok(old.token && old.token !== 'the-collectors-probe-token', 'the command got a token of its own run, not the collector\'s probe token');
  const stored = await sampleCount(base, runId);
  assert.ok(stored > 0, 'the run stored samples with its run token');

  const { LEAKWATCH_TOKEN_FILE: _gone, ...withoutFile } = old.env;
  const stray = startStray({ ...withoutFile, LEAKWATCH_TOKEN: old.token }, path.join(dir, 'stray.pid'));
  await waitForPids([path.join(dir, 'stray.pid')]);
  await waitFor('the stray to be refused', () => stray.stderr().includes('LW_ERR_RUN_ENDED'), 60_000);
  assert.match(stray.stderr(), /probe stopped for good/);
  assert.equal(await sampleCount(base, runId), stored, 'nothing was added to the ended run');
  collect.child.kill('SIGINT');
  assert.equal((await collect.exited).code, 0, collect.stderr());
});

test('a run token: its own run only; ending the run tells its connected probe, which stops for good', { timeout: 120_000 }, async () => {
  const dir = freshDir();
  const collect = cli(['collect', '--port', '0', '--data', path.join(dir, 'data')]);
  const [, base] = await collect.waitForLine(/listening on (http:\/\/\S+)/);
  const runId = randomUUID();
  const res = await fetch(`${base}/api/runs/${runId}/run-token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(res.status, 200);
  const { token } = (await res.json()) as { token: string };
  const probeEnv = { NODE_OPTIONS: `--require "${REGISTER}"`, LEAKWATCH_COLLECTOR: `${base.replace(/^http/, 'ws')}/ingest`, LEAKWATCH_TOKEN: token, LEAKWATCH_INTERVAL: '200ms', LEAKWATCH_MANAGED: '1' };
  const otherRun = randomUUID();
  const elsewhere = startStray({ ...probeEnv, LEAKWATCH_RUN_ID: otherRun }, path.join(dir, 'elsewhere.pid'));
  const own = startStray({ ...probeEnv, LEAKWATCH_RUN_ID: runId }, path.join(dir, 'own.pid'));
  await waitForPids([path.join(dir, 'elsewhere.pid'), path.join(dir, 'own.pid')]);
  await waitFor('samples of the token\'s own run', async () => (await sampleCount(base, runId)) >= 3, 60_000, 200);
  await waitFor('the other run\'s hello to be refused', () => elsewhere.stderr().includes('LW_ERR_AUTH'), 60_000);
  assert.equal(await sampleCount(base, otherRun), 0, 'nothing stored for a run the token was not issued for');

  const ended = await fetch(`${base}/api/runs/${runId}/end`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"exitCode":0}' });
  assert.equal(ended.status, 200);
  await waitFor('the connected probe to be told', () => own.stderr().includes('LW_ERR_RUN_ENDED'), 30_000);
  assert.match(own.stderr(), /probe stopped for good/);
  // What it sent before the close is stored at the writer's next flush (about a second).
  await new Promise((resolve) => setTimeout(resolve, 2000));
  const afterEnd = await sampleCount(base, runId);
  // Long enough for a dozen samples at 200 ms, had the probe gone on or reconnected.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.equal(await sampleCount(base, runId), afterEnd, 'the probe sent nothing after the end');
  assert.ok(isAlive(own.child.pid!), 'the app itself runs on: only its probe stopped');
  collect.child.kill('SIGINT');
  assert.equal((await collect.exited).code, 0, collect.stderr());
});

test('--kill-after must be a duration above zero: one LW_ERR_CONFIG line, exit 64', { timeout: 60_000 }, async () => {
  for (const value of ['0', '0s', '-5', 'soon']) {
    const { code, stderr } = await runCli(['run', '--port', '0', '--data', path.join(temp.dir, 'unused'), '--kill-after', value, '--', NODE, '-e', '1']);
    assert.equal(code, 64, `--kill-after ${value}: ${stderr}`);
    assert.match(stderr, /^leakwatch: LW_ERR_CONFIG: --kill-after/);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});
