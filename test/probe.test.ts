import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { createProbe } from '../src/probe';
import { resolveProbeConfig } from '../src/shared/probe-config';
import { createStandInCollector } from '../support/stand-in-collector';

const run = promisify(execFile);
const distSrc = path.resolve(__dirname, '..', 'src');
const register = path.join(distSrc, 'probe', 'register.js');
const repoRoot = path.resolve(__dirname, '..', '..');

test('loading the probe entry resolves only node built-ins, ws and the probe\'s own files', async () => {
  const script = `
    const before = new Set(Object.keys(require.cache));
    require(${JSON.stringify(register)});
    const loaded = Object.keys(require.cache).filter((f) => !before.has(f));
    console.log(JSON.stringify(loaded));
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, LEAKWATCH_COLLECTOR: 'ws://127.0.0.1:9/ingest' } });
  const loaded = JSON.parse(stdout) as string[];
  assert.ok(loaded.length > 3, 'the probe loaded its modules');
  const allowed = [path.join(distSrc, 'probe') + path.sep, path.join(distSrc, 'protocol') + path.sep, path.join(distSrc, 'shared') + path.sep, path.join(repoRoot, 'node_modules', 'ws') + path.sep];
  const foreign = loaded.filter((file) => !allowed.some((dir) => file.startsWith(dir)));
  assert.deepEqual(foreign, [], 'modules outside probe/, protocol/, shared/ and ws');
  assert.ok(loaded.some((f) => f.includes(`${path.sep}ws${path.sep}`)), 'ws is the transport');
});

test('the self-contained probe bundle needs nothing from node_modules', async () => {
  const bundle = path.resolve(__dirname, '..', 'leakwatch-probe.cjs');
  const script = `
    require(${JSON.stringify(bundle)});
    const foreign = Object.keys(require.cache).filter((f) => f !== ${JSON.stringify(bundle)} && f !== __filename);
    console.log(JSON.stringify(foreign));
  `;
  const { stdout } = await run(process.execPath, ['-e', script], { env: { ...process.env, LEAKWATCH_COLLECTOR: 'ws://127.0.0.1:9/ingest' }, cwd: '/' });
  assert.deepEqual(JSON.parse(stdout), []);
});

test('a script that only loads the probe exits on its own within 1 s of its last work', async () => {
  const sink = await createStandInCollector();
  try {
    const script = `setTimeout(() => { process.stdout.write(String(Date.now())); }, 300);`;
    const started = Date.now();
    const { stdout } = await run(process.execPath, ['-r', register, '-e', script], {
      env: { ...process.env, LEAKWATCH_COLLECTOR: sink.url, LEAKWATCH_INTERVAL: '1s' },
      timeout: 10_000,
    });
    const lastWork = Number(stdout);
    const exitedAt = Date.now();
    assert.ok(lastWork > started);
    assert.ok(exitedAt - lastWork < 1000, `exited ${exitedAt - lastWork} ms after its last work`);
    // It flushed on the way out: hello, at least one batch and a bye arrived.
    const types = sink.messages.map((m) => m.type);
    assert.equal(types[0], 'hello');
    assert.ok(types.includes('batch'));
    assert.equal(types[types.length - 1], 'bye');
  } finally {
    await sink.close();
  }
});

test('an unreachable collector never keeps the process alive or throws into it', async () => {
  const started = Date.now();
  const { stderr } = await run(process.execPath, ['-r', register, '-e', 'setTimeout(() => {}, 200)'], {
    env: { ...process.env, LEAKWATCH_COLLECTOR: 'ws://127.0.0.1:9/ingest' },
    timeout: 10_000,
  });
  assert.ok(Date.now() - started < 5000);
  assert.match(stderr, /LW_ERR_COLLECTOR_UNREACHABLE/);
  assert.equal(stderr.trim().split('\n').length, 1, 'one line, no stack');
});

test('bad configuration is one line and the app still runs', async () => {
  const { stdout, stderr } = await run(process.execPath, ['-r', register, '-e', 'console.log("app ran")'], {
    env: { ...process.env, LEAKWATCH_INTERVAL: 'fast' },
  });
  assert.equal(stdout.trim(), 'app ran');
  assert.match(stderr, /^leakwatch probe not started: LW_ERR_CONFIG: .*LEAKWATCH|^leakwatch probe not started: LW_ERR_CONFIG/);
  assert.equal(stderr.trim().split('\n').length, 1);
});

test('samples carry plausible values, GCs are seen, seqs are consecutive, stop flushes', async () => {
  const sink = await createStandInCollector();
  const probe = createProbe(resolveProbeConfig({ collector: sink.url, interval: 100, runName: 'unit' }), () => {});
  try {
    // Allocate and force work so that GCs happen.
    let keep: unknown[] = [];
    for (let i = 0; i < 30; i++) {
      keep = Array.from({ length: 20_000 }, (_, j) => ({ j, s: `x${j}` }));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(keep.length > 0);
    const { flushed } = await probe.stop(2000);
    assert.equal(flushed, true);
    const batches = sink.messages.filter((m) => m.type === 'batch');
    assert.ok(batches.length >= 4, `got ${batches.length} batches`);
    const seqs = sink.messages.filter((m) => m.type !== 'hello').map((m) => m.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    for (const b of batches) {
      if (b.type !== 'batch') continue;
      const s = b.samples[0];
      assert.ok(s.heapUsed > 1e6 && s.heapUsed <= s.heapTotal, 'heapUsed within heapTotal');
      assert.ok(s.rss >= s.heapTotal, 'rss covers the heap');
      assert.ok(s.heapLimit > s.heapTotal);
      assert.ok(s.nativeContexts >= 1);
      assert.ok(b.spaces.some((sp) => sp.space === 'old_space' && sp.used > 0));
    }
    const gcs = batches.flatMap((b) => (b.type === 'batch' ? b.gcs : []));
    assert.ok(gcs.length > 0, 'GC events observed');
    assert.ok(gcs.every((g) => g.durationMs >= 0 && (g.kind === 'major') === (g.heapUsedAfter !== null)));
  } finally {
    await sink.close();
  }
});

test('after the collector goes away, unacknowledged data is resent on reconnect', async () => {
  // The first collector receives but never acknowledges, as if it died before storing.
  const first = await createStandInCollector({ ack: false });
  const port = Number(new URL(first.url).port);
  const probe = createProbe(resolveProbeConfig({ collector: first.url, interval: 100 }), () => {});
  try {
    await new Promise((resolve) => setTimeout(resolve, 400));
    await first.close(); // cut the connection
    await new Promise((resolve) => setTimeout(resolve, 500)); // samples queue up meanwhile
    const second = await createStandInCollector({ port });
    const seen = second.messages;
    try {
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline && seen.filter((m) => m.type === 'batch').length < 3) await new Promise((r) => setTimeout(r, 100));
      // Batches and the lineage message: every message after hello has the next seq.
      const resent = seen.filter((m) => m.type !== 'hello').map((m) => m.seq);
      const firstSeqs = first.messages.filter((m) => m.type !== 'hello').map((m) => m.seq);
      assert.ok(first.messages.filter((m) => m.type === 'batch').length >= 2, 'the first collector got batches');
      assert.equal(seen[0].type, 'hello', 'hello again first');
      // Every message the first collector saw but never acked comes again, in order, from seq 1.
      assert.deepEqual(resent.slice(0, firstSeqs.length), firstSeqs);
      assert.deepEqual(resent, resent.map((_, i) => i + 1));
      await probe.stop(2000);
    } finally {
      await second.close();
    }
  } finally {
    await probe.stop(100);
  }
});

test('package entry points: --import leakwatch/register (ESM), -r leakwatch/register (CJS), leakwatch/probe', { timeout: 30_000 }, async () => {
  const sink = await createStandInCollector();
  try {
    const env = { ...process.env, LEAKWATCH_COLLECTOR: sink.url, LEAKWATCH_RUN_NAME: 'entry', LEAKWATCH_LABELS: 'team=core,env=test' };
    // Package self-reference resolves `leakwatch/...` from inside the repository, as an installed copy would.
    await run(process.execPath, ['--import', 'leakwatch/register', '--input-type=module', '-e', 'await new Promise((r) => setTimeout(r, 200));'], { env, cwd: repoRoot });
    await run(process.execPath, ['-r', 'leakwatch/register', '-e', 'setTimeout(() => {}, 200)'], { env, cwd: repoRoot });
    await run(process.execPath, ['-e', `
      const { startProbe, stopProbe } = require('leakwatch/probe');
      const probe = startProbe({ collector: ${JSON.stringify(sink.url)}, runName: 'api', interval: '100ms' });
      if (startProbe() !== probe) throw new Error('startProbe is idempotent');
      setTimeout(() => stopProbe().then((r) => { if (!r.flushed) process.exit(5); }), 300);
    `], { env: process.env, cwd: repoRoot });
    const hellos = sink.messages.filter((m) => m.type === 'hello');
    assert.equal(hellos.length, 3);
    assert.deepEqual(hellos.map((h) => h.type === 'hello' && h.name), ['entry', 'entry', 'api']);
    assert.deepEqual(hellos[0].type === 'hello' && hellos[0].labels, { team: 'core', env: 'test' });
    const boots = new Set(sink.messages.filter((m) => m.type === 'bye').map((m) => m.boot));
    assert.equal(boots.size, 3, 'each process flushed and said bye');
  } finally {
    await sink.close();
  }
});
