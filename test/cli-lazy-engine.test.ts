import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BIN, REPO_ROOT } from './helpers/cli';
import { makeTempDir } from './helpers/temp-dir';
import { createTinySnapshot } from './helpers/tiny-snapshot';

/*
 * The embedded engine (chDB, through @clickhouse/client) is loaded only by the commands that open
 * a store: it adds ~150 MB of RSS to any process that requires it. Each case runs the real bin in
 * a fresh process with a preload that lists every module file it loaded.
 */
const tmp = makeTempDir('lazy-engine');
const RECORDER = path.join(__dirname, 'fixtures', 'record-loaded-modules.js');
const ENGINE_DIRS = ['chdb', '@chdb', '@clickhouse'].map((name) => fs.realpathSync(path.join(REPO_ROOT, 'node_modules', name)) + path.sep);
let snapshotFile = '';
let stub: http.Server;
let stubUrl = '';

/** Runs `leakwatch <args>` and returns its exit code, stdout and the files it loaded. */
async function runRecorded(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; loaded: string[] }> {
  const list = path.join(tmp.dir, `loaded-${process.hrtime.bigint()}.txt`);
  const child = spawn(process.execPath, ['-r', RECORDER, BIN, ...args], {
    cwd: tmp.dir,
    env: { ...process.env, LEAKWATCH_TEST_LOADED_MODULES: list },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr, loaded: fs.readFileSync(list, 'utf8').split('\n') };
}

function engineFiles(loaded: string[]): string[] {
  return loaded.filter((file) => ENGINE_DIRS.some((dir) => file.startsWith(dir)));
}

before(async () => {
  const heap = createTinySnapshot();
  const widget = heap.node('object', 'Widget', 64);
  heap.edge(heap.root, widget, 'element', 0);
  snapshotFile = path.join(tmp.dir, 'tiny.heapsnapshot');
  fs.writeFileSync(snapshotFile, heap.toJson());
  // A stand-in collector that knows no runs: enough for `runs` and `check` to talk to an API.
  stub = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ runs: [] }));
  });
  await new Promise<void>((resolve) => stub.listen(0, '127.0.0.1', resolve));
  stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise((resolve) => stub.close(resolve));
  tmp.remove();
});

test('--help and --version do not load the engine', async () => {
  for (const args of [['--help'], ['--version'], ['check', '--help']]) {
    const result = await runRecorded(args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    assert.ok(result.loaded.some((file) => file.includes(`${path.sep}commander${path.sep}`)), 'the recorder saw the CLI load');
    assert.deepEqual(engineFiles(result.loaded), [], args.join(' '));
  }
});

test('analyze does not load the engine', async () => {
  const result = await runRecorded(['analyze', snapshotFile, '--json', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  const analysis = JSON.parse(result.stdout) as { types: { type: string; count: number }[] };
  assert.equal(analysis.types.find((t) => t.type === 'Widget')?.count, 1);
  assert.deepEqual(engineFiles(result.loaded), []);
});

test('runs and check through a collector do not load the engine', async () => {
  const runs = await runRecorded(['runs', '--collector', stubUrl]);
  assert.equal(runs.code, 0, runs.stderr);
  assert.match(runs.stdout, /^no runs yet/);
  assert.deepEqual(engineFiles(runs.loaded), [], 'runs --collector');
  const check = await runRecorded(['check', 'some-run', '--collector', stubUrl]);
  assert.equal(check.code, 64);
  assert.match(check.stderr, /^leakwatch: LW_ERR_NOT_FOUND: no run some-run/);
  assert.deepEqual(engineFiles(check.loaded), [], 'check --collector');
});

test('a command that opens the store loads the engine', async () => {
  const result = await runRecorded(['runs', '--json', '--data', path.join(tmp.dir, 'data')]);
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), []);
  const engine = engineFiles(result.loaded);
  assert.ok(engine.some((file) => file.startsWith(ENGINE_DIRS[0])), 'chdb is loaded');
  assert.ok(engine.some((file) => file.startsWith(ENGINE_DIRS[2])), '@clickhouse/client is loaded');
});
