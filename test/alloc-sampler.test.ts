import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { AllocProfileMessage } from '../src/protocol/alloc-messages';
import type { ProbeMessage } from '../src/protocol/messages';
import { createAllocSampler, type InspectorSessionLike } from '../src/probe/alloc-sampler';
import type { AllocProfileBody } from '../src/probe/sampling-profile';
import { createProbe } from '../src/probe';
import { resolveProbeConfig } from '../src/shared/probe-config';
import { createStandInCollector } from '../support/stand-in-collector';
import { makeTempDir } from './helpers/temp-dir';

const run = promisify(execFile);
const register = path.resolve(__dirname, '..', 'src', 'probe', 'register.js');

/**
 * The app under the probe: `remember()` keeps 16 KiB strings-and-arrays in a growing array every
 * 10 ms; `churn()` makes garbage that dies at once. The first line of `remember` is REMEMBER_LINE
 * (V8's column there is the parameter list's, where the function's source position starts).
 */
const APP = `'use strict';
// Global: a module-level array dies with the module's scope once the timer is gone.
const kept = (globalThis.kept = []);
function churn() {
  let s = 0;
  for (let i = 0; i < 200; i++) s += [i, i + 1].length;
  return s;
}
function remember(n) {
  kept.push(new Array(2048).fill(n));
}
// V8 resolves a site's script when the profile is read: a script whose functions were all
// collected by then has no url or line any more. A server's handlers stay alive; these must too.
globalThis.app = { remember, churn };
const timer = setInterval(() => { remember(kept.length); churn(); }, 10);
setTimeout(() => clearInterval(timer), Number(process.env.APP_MS));
`;
const REMEMBER_LINE = APP.split('\n').findIndex((line) => line.startsWith('function remember')) + 1;

const allocProfiles = (messages: readonly ProbeMessage[]): AllocProfileMessage[] => messages.filter((m): m is AllocProfileMessage => m.type === 'alloc-profile');

/** The site whose allocating frame is `fn` in `url`, with its frame. */
function siteOf(profile: AllocProfileMessage, fn: string, url: string) {
  const site = profile.sites.find((s) => profile.frames[s.stack[0]!]!.fn === fn && profile.frames[s.stack[0]!]!.url === url);
  return site ? { ...site, frame: profile.frames[site.stack[0]!]! } : undefined;
}

async function runApp(appMs: number, env: NodeJS.ProcessEnv): Promise<{ messages: ProbeMessage[]; script: string; stderr: string }> {
  const sink = await createStandInCollector();
  const temp = makeTempDir('alloc-app');
  try {
    const script = path.join(temp.dir, 'growing-app.js');
    fs.writeFileSync(script, APP);
    const { stderr } = await run(process.execPath, ['-r', register, script], {
      env: { ...process.env, LEAKWATCH_COLLECTOR: sink.url, LEAKWATCH_INTERVAL: '200ms', APP_MS: String(appMs), ...env },
      timeout: 30_000,
    });
    return { messages: [...sink.messages], script, stderr };
  } finally {
    await sink.close();
    temp.remove();
  }
}

test('a real app under the probe: every second a profile names remember() at its first line, its live bytes rise', { timeout: 60_000 }, async () => {
  const { messages, script, stderr } = await runApp(4500, { LEAKWATCH_ALLOC_EVERY: '1s', LEAKWATCH_ALLOC_INTERVAL: '32k', LEAKWATCH_ALLOC_STACK_DEPTH: '8' });
  assert.equal(stderr, '');
  const profiles = allocProfiles(messages);
  assert.ok(profiles.length >= 4, `${profiles.length} profiles`);
  const sites = profiles.map((p) => siteOf(p, 'remember', script));
  assert.ok(sites.every(Boolean), 'remember() is a site in every profile');
  for (const site of sites) {
    // V8 names the function, not the statement: the line is where remember() starts, 1-based.
    assert.equal(site!.frame.line, REMEMBER_LINE);
    assert.ok(site!.frame.col >= 1);
    assert.ok(site!.stack.length <= 8);
  }
  const live = sites.map((s) => s!.liveBytes);
  assert.ok(live[live.length - 1]! > live[0]! * 2, `live bytes ${live.join(', ')}`);
  for (let i = 1; i < live.length; i++) assert.ok(live[i]! >= live[i - 1]! * 0.8, `live bytes keep rising: ${live.join(', ')}`);
  // churn()'s arrays die young: whatever of them was sampled is gone by the read.
  const last = profiles[profiles.length - 1]!;
  assert.ok((siteOf(last, 'churn', script)?.liveBytes ?? 0) < live[live.length - 1]! / 10);
  for (const p of profiles) {
    assert.equal(p.intervalBytes, 32 * 1024);
    assert.equal(p.stackDepth, 8);
    assert.equal(p.startedAt, profiles[0]!.startedAt);
    assert.ok(p.at > p.startedAt);
  }
  // The profiles travel in the probe's seq order, the last one before the bye.
  const types = messages.map((m) => m.type);
  assert.equal(types[types.length - 1], 'bye');
  assert.ok(types.lastIndexOf('alloc-profile') < types.length - 1);
});

test('stop() ships a last profile before the bye, even before the first timed read', { timeout: 60_000 }, async () => {
  const { messages, script } = await runApp(800, { LEAKWATCH_ALLOC_INTERVAL: '32KiB' });
  const profiles = allocProfiles(messages);
  assert.equal(profiles.length, 1, 'default every 60 s: only the one from stop()');
  assert.equal(profiles[0]!.intervalBytes, 32 * 1024);
  assert.equal(profiles[0]!.stackDepth, 64);
  const types = messages.map((m) => m.type);
  assert.equal(types.indexOf('alloc-profile'), types.length - 2, 'right before the bye');
  // About 80 calls of 16 KiB: some 40 samples expected at 32 KiB, so remember() is there.
  assert.equal(siteOf(profiles[0]!, 'remember', script)?.frame.line, REMEMBER_LINE);
});

test('LEAKWATCH_ALLOC_SAMPLING=0 sends no profile; the rest of the probe works as before', { timeout: 60_000 }, async () => {
  for (const off of ['0', 'off', 'false']) {
    const { messages, stderr } = await runApp(1500, { LEAKWATCH_ALLOC_SAMPLING: off, LEAKWATCH_ALLOC_EVERY: '1s' });
    assert.equal(stderr, '');
    assert.equal(allocProfiles(messages).length, 0, off);
    assert.ok(messages.filter((m) => m.type === 'batch').length >= 3);
    assert.equal(messages[messages.length - 1]!.type, 'bye');
  }
});

test('after stop() nothing of the sampler runs: V8 sampling is off for the isolate, the profile count matches what arrived', { timeout: 30_000 }, async () => {
  const sink = await createStandInCollector();
  try {
    const probe = createProbe(resolveProbeConfig({ collector: sink.url, interval: 200, allocEvery: '1s', allocInterval: '16k' }), () => {});
    const keep: number[][] = [];
    for (let i = 0; i < 100; i++) keep.push(new Array(1000).fill(i));
    await new Promise((resolve) => setTimeout(resolve, 1300));
    assert.equal(probe.stats().alloc.running, true);
    await probe.stop(2000);
    const stats = probe.stats().alloc;
    assert.equal(stats.running, false);
    assert.ok(stats.profiles >= 2, `${stats.profiles} profiles`);
    assert.equal(allocProfiles(sink.messages).length, stats.profiles);
    // V8's profiler is off for the whole isolate: another session finds nothing to read.
    const other = new inspector.Session();
    other.connect();
    const error = await new Promise<Error | null>((resolve) => other.post('HeapProfiler.getSamplingProfile', (err) => resolve(err)));
    other.disconnect();
    assert.match(String(error?.message), /not started/);
    assert.ok(keep.length === 100);
  } finally {
    await sink.close();
  }
});

/** A session that fails in the ways given, counting what it was asked. */
function fakeSession(fail: (method: string) => Error | null, calls: string[]): InspectorSessionLike {
  return {
    connect: () => {},
    disconnect: () => calls.push('disconnect'),
    post: (method, _params, callback) => {
      calls.push(method);
      const err = fail(method);
      callback(err, err ? undefined : { profile: { head: { callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, selfSize: 0, id: 1, children: [] }, samples: [] } });
    },
  };
}

const config = { enabled: true, intervalBytes: 4096, stackDepth: 16, everyMs: 1000, epochMs: 30_000 };

test('inspector failures are noticed once, never thrown, and stop() still ends cleanly', async () => {
  const notices: string[] = [];
  const calls: string[] = [];
  const sent: AllocProfileBody[] = [];
  const sampler = createAllocSampler({ config, notice: (l) => notices.push(l), send: (b) => sent.push(b), createSession: () => fakeSession((m) => (m === 'HeapProfiler.getSamplingProfile' ? new Error('Inspector error -32000: out of luck') : null), calls) });
  await sampler.ship();
  await sampler.ship();
  await sampler.stop();
  assert.deepEqual(notices, ['leakwatch probe: allocation profile could not be read: Inspector error -32000: out of luck']);
  assert.equal(sampler.stats().failures, 2);
  assert.equal(sent.length, 1, 'the last read (stopSampling) still answered');
  assert.deepEqual(calls.slice(-2), ['HeapProfiler.stopSampling', 'disconnect']);

  const unavailable: string[] = [];
  const none = createAllocSampler({ config, notice: (l) => unavailable.push(l), send: () => assert.fail('nothing to send'), createSession: () => { throw new Error('Inspector is not available'); } });
  await none.ship();
  await none.stop();
  assert.deepEqual(unavailable, ['leakwatch probe: allocation sampling unavailable: Inspector is not available']);
  assert.equal(none.stats().running, false);
});

test('sampling stopped by someone else in the isolate is started again, with a new startedAt', async () => {
  const calls: string[] = [];
  let stoppedByOther = true;
  const sent: AllocProfileBody[] = [];
  const sampler = createAllocSampler({
    config,
    notice: () => assert.fail('no notice for a restart'),
    send: (b) => sent.push(b),
    createSession: () => fakeSession((m) => {
      if (m === 'HeapProfiler.getSamplingProfile' && stoppedByOther) {
        stoppedByOther = false;
        return new Error('Inspector error -32000: V8 sampling heap profiler was not started.');
      }
      return null;
    }, calls),
  });
  await sampler.ship();
  await sampler.ship();
  await sampler.stop();
  assert.equal(sampler.stats().restarts, 1);
  assert.deepEqual(calls.filter((c) => c === 'HeapProfiler.startSampling').length, 2);
  assert.equal(sent.length, 2);
});

test('switched off, the sampler opens no session at all', async () => {
  const sampler = createAllocSampler({ config: { ...config, enabled: false }, notice: () => {}, send: () => assert.fail('off'), createSession: () => assert.fail('no session when off') });
  await sampler.ship();
  await sampler.stop();
  assert.equal(sampler.stats().profiles, 0);
});
