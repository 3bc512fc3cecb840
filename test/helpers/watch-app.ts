import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const DIST_SRC = path.resolve(__dirname, '..', '..', 'src');

/**
 * A small app that keeps growing four containers, each from one named function, and answers
 * questions over IPC: `ids` (writes a real heap snapshot of itself with v8.writeHeapSnapshot and
 * reads the node ids of its containers from it), `own` (what each container has of its own now),
 * `watch` / `stop` (its in-process suspect watcher, when `mode` is 'watcher'). With mode 'probe'
 * it runs the real probe (startProbe) instead, configured by LEAKWATCH_* variables.
 */
function appSource(mode: 'watcher' | 'probe'): string {
  return `'use strict';
const v8 = require('node:v8');
const fs = require('node:fs');
const { EventEmitter } = require('node:events');
let uncaught = 0;
process.on('uncaughtException', (err) => { uncaught++; process.stderr.write('app saw: ' + err.stack + '\\n'); });
process.on('unhandledRejection', (err) => { uncaught++; process.stderr.write('app saw: ' + err + '\\n'); });
const responseCache = new Map(); responseCache.marker = 'the-map';
const auditLog = []; auditLog.marker = 'the-array';
const sessions = Object.create(null); sessions.marker = 'the-object';
const bus = new EventEmitter(); bus.setMaxListeners(0); bus.on('tick', () => {}); bus.on('tick', () => {});
function remember(i) {
  responseCache.set('k' + i, { body: 'x'.repeat(50) }); // LINE:remember
}
function audit(i) {
  auditLog.push({ i }); // LINE:audit
}
function openSession(i) {
  sessions['s' + i] = { i }; // LINE:session
}
function subscribe(i) {
  bus.on('tick', () => i); // LINE:subscribe
}
let i = 0;
const timer = setInterval(() => { for (let k = 0; k < 5; k++) { i++; remember(i); audit(i); openSession(i); if (i % 50 === 0) subscribe(i); } }, 5);
function nodeIds() {
  const file = v8.writeHeapSnapshot();
  const snap = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const nf = snap.snapshot.meta.node_fields, ef = snap.snapshot.meta.edge_fields;
  const N = nf.length, E = ef.length, idAt = nf.indexOf('id'), countAt = nf.indexOf('edge_count');
  const property = snap.snapshot.meta.edge_types[0].indexOf('property');
  const found = {};
  let edge = 0;
  for (let n = 0; n < snap.nodes.length; n += N) {
    const count = snap.nodes[n + countAt];
    for (let k = 0; k < count; k++) {
      const at = (edge + k) * E;
      if (snap.edges[at] !== property || snap.strings[snap.edges[at + 1]] !== 'marker') continue;
      const target = snap.edges[at + 2];
      found[snap.strings[snap.nodes[target + 1]]] = snap.nodes[n + idAt];
    }
    edge += count;
  }
  return found;
}
function own() {
  return {
    map: Object.getOwnPropertyNames(responseCache),
    array: Object.getOwnPropertyNames(auditLog).filter((k) => !/^\\d+$/.test(k)),
    objectProto: Object.getPrototypeOf(sessions) === null,
    listenerArray: Object.getOwnPropertyNames(bus._events.tick).filter((k) => !/^\\d+$/.test(k)),
    sizes: { map: responseCache.size, array: auditLog.length, object: Object.keys(sessions).length },
    uncaught,
  };
}
${mode === 'probe'
    ? `const { probeOptionsFromEnv } = require(${JSON.stringify(path.join(DIST_SRC, 'shared', 'probe-config.js'))});
const probe = require(${JSON.stringify(path.join(DIST_SRC, 'probe', 'index.js'))}).startProbe(probeOptionsFromEnv(process.env));`
    : `const { createSuspectWatcher } = require(${JSON.stringify(path.join(DIST_SRC, 'probe', 'suspect-watcher.js'))});
const watcher = createSuspectWatcher({ sendReport: (report) => process.send({ type: 'report', report }), notice: (line) => process.send({ type: 'notice', line }) });`}
process.on('message', (msg) => {
  if (msg.type === 'ids') {
    const ids = nodeIds();
    // The listener list is the array in bus._events.tick: it has no marker of its own.
    bus._events.tick.marker = 'the-listeners';
    Object.assign(ids, nodeIds());
    delete bus._events.tick.marker;
    process.send({ type: 'ids', ids${mode === 'probe' ? ', run: probe.runId, boot: probe.bootId' : ''} });
  }
  if (msg.type === 'own') process.send({ type: 'own', own: own() });
  ${mode === 'watcher' ? "if (msg.type === 'watch') watcher.request(msg.request);\n  if (msg.type === 'stop') { watcher.stop(); process.send({ type: 'stopped' }); }" : ''}
  if (msg.type === 'exit') { clearInterval(timer); ${mode === 'probe' ? "require(" + JSON.stringify(path.join(DIST_SRC, 'probe', 'index.js')) + ").stopProbe().then(() => process.exit(0));" : 'process.exit(0);'} }
});
process.send({ type: 'ready' });
`;
}

export interface WatchApp {
  child: ChildProcess;
  file: string;
  /** 1-based line of the statement marked \`// LINE:<name>\`. */
  line(name: string): number;
  /** Sends `msg` and resolves with the next message of `type` (or of `msg.type` when not given). */
  ask<T = Record<string, unknown>>(msg: Record<string, unknown>, type?: string): Promise<T>;
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  messages: Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startWatchApp(dir: string, mode: 'watcher' | 'probe', env: NodeJS.ProcessEnv = {}): Promise<WatchApp> {
  const file = path.join(dir, `watch-app-${mode}.js`);
  const source = appSource(mode);
  fs.writeFileSync(file, source);
  const lines = source.split('\n');
  // Strict: a rejection the probe leaves unhandled ends the app, and the test with it.
  const child = fork(file, [], { execArgv: ['--unhandled-rejections=strict'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const messages: Record<string, unknown>[] = [];
  const waiters: { type: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  let seen = 0;
  child.on('message', (m: Record<string, unknown>) => {
    messages.push(m);
    const w = waiters.findIndex((x) => x.type === m.type);
    if (w >= 0) waiters.splice(w, 1)[0].resolve(m);
  });
  const next = <T>(type: string, timeoutMs = 30_000): Promise<T> => {
    const already = messages.slice(seen).find((m) => m.type === type);
    if (already) {
      seen = messages.indexOf(already) + 1;
      return Promise.resolve(already as T);
    }
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} message from the app within ${timeoutMs} ms`)), timeoutMs);
      waiters.push({ type, resolve: (m) => { clearTimeout(timer); seen = messages.indexOf(m) + 1; resolve(m as T); } });
    });
  };
  await next('ready');
  return {
    child,
    file,
    messages,
    line: (name) => lines.findIndex((l) => l.includes(`// LINE:${name}`)) + 1,
    ask: <T>(msg: Record<string, unknown>, type?: string) => {
      const answer = next<T>(type ?? (msg.type as string));
      child.send(msg);
      return answer;
    },
    next,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'exit' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
