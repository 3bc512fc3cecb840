import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isLauncher, processIdentity } from '../src/probe/process-identity';
import { CLOSE_CODES, decodeProbeMessage, ProtocolError } from '../src/protocol';
import { commandOf, processLabel } from '../src/shared/process-data';

/* The probe's side of "one series per process": who a process is, and how its hello says so. */

const hello = { v: 1, run: 'run-1', boot: 'boot-1', type: 'hello', seq: 0, name: 'app', labels: {}, pid: 10, host: 'h', node: 'v20', argv: ['a.js'], startedAt: Date.now(), intervalMs: 1000, probeVersion: '0.1.0' };

test('launchers are known by the script they run (global installs, .bin links, corepack) or npm\'s title', () => {
  const launchers = [
    ['/usr/bin/node', '/usr/lib/node_modules/npm/bin/npm-cli.js', 'start'],
    ['/usr/bin/node', '/usr/bin/npm', 'start'],
    ['/usr/bin/node', '/usr/local/lib/node_modules/npm/bin/npx-cli.js', 'tsx', 'app.ts'],
    ['/usr/bin/node', '/usr/bin/npx', 'tsx'],
    ['/usr/bin/node', '/home/u/.yarn/releases/yarn-4.1.0.cjs', 'start'],
    ['/usr/bin/node', '/usr/lib/node_modules/pnpm/bin/pnpm.cjs', 'start'],
    ['/usr/bin/node', '/usr/lib/node_modules/corepack/dist/corepack.js', 'pnpm', 'start'],
    ['/usr/bin/node', '/srv/app/node_modules/.bin/tsx', 'src/server.ts'],
    ['/usr/bin/node', '/srv/app/node_modules/tsx/dist/cli.mjs', 'src/server.ts'],
  ];
  for (const argv of launchers) assert.equal(isLauncher(argv, 'node'), true, argv.join(' '));
  const apps = [
    ['/usr/bin/node', '/srv/app/server.js'],
    ['/usr/bin/node', '/srv/npm-tools/index.js'],
    ['/usr/bin/node', '/srv/app/src/server.ts'],
    ['/usr/bin/node'],
  ];
  for (const argv of apps) assert.equal(isLauncher(argv, 'node'), false, argv.join(' '));
  assert.equal(isLauncher(['/usr/bin/node', '/x/y.js'], 'npm start'), true, 'npm sets its title once running');
});

test('this test process is a plain process on its main thread', () => {
  assert.deepEqual(processIdentity({}, ['/usr/bin/node', '/srv/app.js'], 'node'), { ppid: process.ppid, threadId: 0, role: 'process', roleIndex: 0 });
});

test('in a worker thread the identity is the thread\'s; a cluster worker\'s is its cluster id; their parent is the primary', () => {
  const identity = path.join(__dirname, '..', 'src', 'probe', 'process-identity.js');
  // One script in three parts: a worker thread, then two cluster workers, then the primary once both are up.
  const program = `
    const { Worker, isMainThread } = require('node:worker_threads');
    const cluster = require('node:cluster');
    const { processIdentity } = require(${JSON.stringify(identity)});
    const say = (kind) => console.log(kind + ' ' + JSON.stringify(processIdentity()));
    if (!isMainThread) say('thread');
    else if (cluster.isWorker) { say('worker'); cluster.worker.disconnect(); }
    else new Worker(__filename).on('exit', () => {
      cluster.fork();
      cluster.fork();
      let left = 2;
      cluster.on('online', () => { if (--left === 0) say('primary'); });
    });
  `;
  const file = path.join(os.tmpdir(), `leakwatch-identity-${process.pid}.js`);
  fs.writeFileSync(file, program);
  try {
    const out = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(out.status, 0, out.stderr);
    const said = out.stdout.trim().split('\n').map((l) => ({ kind: l.slice(0, l.indexOf(' ')), identity: JSON.parse(l.slice(l.indexOf(' ') + 1)) }));
    const primary = said.find((s) => s.kind === 'primary')!.identity;
    const thread = said.find((s) => s.kind === 'thread')!.identity;
    const workers = said.filter((s) => s.kind === 'worker').map((s) => s.identity);
    assert.equal(primary.role, 'primary', 'a process with cluster workers is their primary');
    assert.deepEqual(thread, { ppid: primary.ppid, threadId: 1, role: 'thread', roleIndex: 1 });
    assert.deepEqual(workers.map((w) => [w.role, w.roleIndex, w.threadId]).sort(), [['worker', 1, 0], ['worker', 2, 0]]);
  } finally {
    fs.rmSync(file, { force: true });
  }
});

test('the hello\'s identity is decoded with range checks; an older probe\'s hello reads as a plain process', () => {
  const decoded = decodeProbeMessage(JSON.stringify({ ...hello, ppid: 9, threadId: 2, role: 'thread', roleIndex: 2 }));
  assert.ok(decoded.type === 'hello');
  assert.deepEqual([decoded.ppid, decoded.threadId, decoded.role, decoded.roleIndex], [9, 2, 'thread', 2]);
  const legacy = decodeProbeMessage(JSON.stringify(hello));
  assert.ok(legacy.type === 'hello');
  assert.deepEqual([legacy.ppid, legacy.threadId, legacy.role, legacy.roleIndex], [0, 0, 'process', 0]);
  const refused = (fields: Record<string, unknown>, code: keyof typeof CLOSE_CODES) =>
    assert.throws(() => decodeProbeMessage(JSON.stringify({ ...hello, ...fields })), (err: unknown) => err instanceof ProtocolError && err.code === code, JSON.stringify(fields));
  refused({ role: 'overlord' }, 'LW_ERR_PROTOCOL_INVALID');
  refused({ role: 7 }, 'LW_ERR_PROTOCOL_INVALID');
  refused({ ppid: -1 }, 'LW_ERR_PROTOCOL_RANGE');
  refused({ threadId: 2 ** 32 }, 'LW_ERR_PROTOCOL_RANGE');
  refused({ roleIndex: 1.5 }, 'LW_ERR_PROTOCOL_INVALID');
  refused({ ppid: '12' }, 'LW_ERR_PROTOCOL_INVALID');
});

test('a process is named by role and index, pid and its command line', () => {
  assert.equal(processLabel({ role: 'worker', roleIndex: 2, pid: 1234, argv: ['/srv/app/server.js'] }), 'worker 2 (pid 1234, node server.js)');
  assert.equal(processLabel({ role: 'primary', roleIndex: 0, pid: 1, argv: ['/srv/app/server.js', '--port', '3000'] }), 'primary (pid 1, node server.js --port 3000)');
  assert.equal(processLabel({ role: 'thread', roleIndex: 3, pid: 5, argv: [] }), 'thread 3 (pid 5)');
  assert.equal(commandOf(['/usr/bin/npm', 'start']), 'node npm start');
});
