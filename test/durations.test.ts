import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createStandInCollector } from '../support/stand-in-collector';
import { startCollector } from '../src/collector/collector';
import { createLogger } from '../src/shared/log';
import { openStore } from '../src/store/open-store';
import type { GcRow, SampleRow } from '../src/store/store-interface';
import { addAllocFlags, allocFlagsToEnv } from '../src/cli/alloc-flags';
import { readCheckConfig } from '../src/cli/project-config';
import { MAX_TIMER_MS, parseDuration, type DurationRule } from '../src/shared/duration';
import { probeOptionsFromEnv, resolveProbeConfig } from '../src/shared/probe-config';
import { MIN_DURATION_RULE, WARMUP_RULE } from '../src/shared/verdict-spans';
import { SAMPLES, runCli, startCli } from './helpers/cli';
import { makeGc, makeHello, makeSample } from './helpers/store-fixtures';
import { makeTempDir } from './helpers/temp-dir';
import { waitFor } from './helpers/wait-for';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

test('the rule: a number with a unit, or a bare number of seconds', () => {
  const accepted: [string | number, number][] = [
    ['500ms', 500],
    ['1s', S],
    ['1.5s', 1500],
    ['30m', 30 * M],
    ['2h', 2 * H],
    ['7d', 7 * D],
    [' 10 s ', 10 * S],
    ['1.4ms', 1],
    // Bare numbers are seconds, as timeout(1), sleep(1) and systemd read them.
    ['2', 2 * S],
    ['600', 600 * S],
    ['0.5', 500],
    // Numbers from code are milliseconds (the option docs say so).
    [250, 250],
    [MAX_TIMER_MS, MAX_TIMER_MS],
  ];
  for (const [input, ms] of accepted) {
    assert.equal(parseDuration(input, 'x'), ms, String(input));
  }
  // The largest timer Node keeps, written as a user would: 24 days fit, 25 do not.
  assert.equal(parseDuration('24d', 'x'), 24 * D);
});

test('refused values: one LW_ERR_CONFIG message naming the setting and the value', () => {
  const refused: [string | number, DurationRule, RegExp][] = [
    ['10x', {}, /^--duration: expected a duration such as 500ms, 30s, 10m or 2h \(a bare number is seconds\), got "10x"$/],
    ['1e999', {}, /expected a duration .* got "1e999"$/],
    ['NaN', {}, /expected a duration .* got "NaN"$/],
    ['', {}, /expected a duration .* got ""$/],
    ['   ', {}, /expected a duration/],
    ['5 minutes', {}, /expected a duration/],
    ['1h30m', {}, /expected a duration/],
    ['10S', {}, /expected a duration/],
    ['-5s', {}, /^--duration: must not be negative, got "-5s"$/],
    ['-5', {}, /must not be negative, got "-5"$/],
    ['0', {}, /^--duration: must be more than 0, got "0"$/],
    ['0s', {}, /must be more than 0, got "0s"$/],
    ['0.1ms', {}, /must be more than 0/],
    ['25d', {}, /^--duration: must be at most 2147483647ms \(about 24\.8 days, the longest delay a Node\.js timer keeps\), got "25d"$/],
    ['9'.repeat(400), {}, /must be at most .*, got "9{40}…"$/],
    ['1\n2', {}, /expected a duration .*, got "1\\n2"$/],
    ['2147484', {}, /must be at most/],
    [Number.NaN, {}, /expected a number of milliseconds, got NaN$/],
    [-1, {}, /must not be negative, got -1$/],
    [Number.POSITIVE_INFINITY, {}, /must be at most/],
    ['50ms', { min: 100 }, /^--duration: must be at least 100ms, got "50ms"$/],
    ['0', { min: 100 }, /must be at least 100ms, got "0"$/],
    ['10ms', { zero: 'off', min: S }, /^--duration: must be 0 \(off\) or at least 1s, got "10ms"$/],
    ['16s', { max: 15 * S }, /^--duration: must be at most 15s, got "16s"$/],
  ];
  for (const [input, rule, message] of refused) {
    assert.throws(
      () => parseDuration(input, '--duration', rule),
      (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && message.test(err.message),
      `${String(input).slice(0, 20)} ${JSON.stringify(rule)}`,
    );
  }
});

test('0 only where it means something: scheduled snapshots off, no snapshot gap, no minimum run, no extra warm-up', () => {
  assert.equal(parseDuration('0', 'x', { zero: 'off', min: S }), 0);
  assert.equal(resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_SNAPSHOT_EVERY: '0' })).snapshot.everyMs, 0);
  assert.equal(resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_SNAPSHOT_MIN_GAP: '0' })).snapshot.minGapMs, 0);
  assert.equal(parseDuration('0s', '--min-duration', MIN_DURATION_RULE), 0);
  assert.equal(parseDuration('0', '--warmup', WARMUP_RULE), 0);
  // A verdict span is compared with data, not waited for: longer than a timer, bounded by a year.
  assert.equal(parseDuration('30d', '--min-duration', MIN_DURATION_RULE), 30 * D);
  assert.throws(() => parseDuration('400d', '--warmup', WARMUP_RULE), /--warmup: must be at most 365d/);
  for (const [env, pattern] of [
    [{ LEAKWATCH_INTERVAL: '0' }, /LEAKWATCH_INTERVAL\): must be at least 100ms/],
    [{ LEAKWATCH_ALLOC_EVERY: '0' }, /LEAKWATCH_ALLOC_EVERY\): must be at least 1s/],
    [{ LEAKWATCH_HEARTBEAT: '0' }, /LEAKWATCH_HEARTBEAT\): must be at least 100ms/],
  ] as const) {
    assert.throws(() => resolveProbeConfig(probeOptionsFromEnv(env)), (err: Error & { code?: string }) => err.code === 'LW_ERR_CONFIG' && pattern.test(err.message), JSON.stringify(env));
  }
});

test('LEAKWATCH_* variables: a bare number is seconds, through the probe config resolver', () => {
  const config = resolveProbeConfig(probeOptionsFromEnv({
    LEAKWATCH_SNAPSHOT_MIN_GAP: '30',
    LEAKWATCH_INTERVAL: '2',
    LEAKWATCH_SNAPSHOT_EVERY: '90',
    LEAKWATCH_ALLOC_EVERY: '5',
    LEAKWATCH_HEARTBEAT: '3',
  }));
  assert.equal(config.snapshot.minGapMs, 30 * S);
  assert.equal(config.intervalMs, 2 * S);
  assert.equal(config.snapshot.everyMs, 90 * S);
  assert.equal(config.alloc.everyMs, 5 * S);
  assert.equal(config.heartbeatMs, 3 * S);
  // What was milliseconds before is caught by the bounds instead of silently meaning minutes.
  assert.throws(() => resolveProbeConfig(probeOptionsFromEnv({ LEAKWATCH_HEARTBEAT: '5000' })), /LEAKWATCH_HEARTBEAT\): must be at most 15s, got "5000"/);
  // startProbe() numbers stay milliseconds.
  assert.equal(resolveProbeConfig({ interval: 250, snapshotMinGap: 30 }).snapshot.minGapMs, 30);
});

test('leakwatch run hands the probe explicit milliseconds, which the probe reads back as the same duration', async () => {
  const { Command } = await import('commander');
  const command = addAllocFlags(new Command('x').exitOverride()).parse(['--alloc-every', '2'], { from: 'user' });
  const env = allocFlagsToEnv(command.opts());
  assert.equal(env.LEAKWATCH_ALLOC_EVERY, '2000ms');
  assert.equal(resolveProbeConfig(probeOptionsFromEnv(env)).alloc.everyMs, 2 * S);
});

test('leakwatch.config.json: durations as text or as a JSON number of seconds', () => {
  const temp = makeTempDir('durations-config');
  try {
    fs.writeFileSync(path.join(temp.dir, 'leakwatch.config.json'), JSON.stringify({ check: { minDuration: 600, warmup: '90', maxSlope: '1MB/h' } }));
    const config = readCheckConfig(temp.dir);
    assert.deepEqual(config, { minDuration: '600', warmup: '90', maxSlope: '1MB/h' });
    assert.equal(parseDuration(config.minDuration!, 'check.minDuration', MIN_DURATION_RULE), 10 * M);
    assert.equal(parseDuration(config.warmup!, 'check.warmup', WARMUP_RULE), 90 * S);
    fs.writeFileSync(path.join(temp.dir, 'leakwatch.config.json'), JSON.stringify({ check: { warmup: true } }));
    assert.throws(() => readCheckConfig(temp.dir), /check\.warmup must be a duration such as "10m" or a number of seconds/);
  } finally {
    temp.remove();
  }
});

test('leakwatch run --duration 2 runs the command for about 2 seconds, not 2 ms, and exits 0', { timeout: 60_000 }, async () => {
  const collector = await createStandInCollector();
  try {
    // The command prints when its process began (performance.timeOrigin), then idles until stopped.
    const cli = startCli(['run', '--collector', collector.httpUrl, '--duration', '2', '--', process.execPath, '-e', 'console.log("origin " + Math.round(performance.timeOrigin)); setInterval(() => {}, 1000)']);
    const origin = Number((await cli.waitForLine(/origin (\d+)/, 30_000))[1]);
    const { code } = await cli.exited;
    const ranMs = Date.now() - origin;
    assert.equal(code, 0, cli.stderr());
    // The 2 s timer starts before the command is spawned, so the command runs a little under 2 s
    // at least; the upper bound is loose because the machine may be busy.
    assert.ok(ranMs >= 1500, `the command ran ${ranMs} ms`);
    assert.ok(ranMs < 20_000, `the command ran ${ranMs} ms`);
    assert.equal(cli.stderr().includes('LW_ERR_'), false, cli.stderr());
  } finally {
    await collector.close();
  }
});

test('leakwatch run --interval 2: the probe in the command samples every 2 seconds (the flag crosses the environment intact)', { timeout: 60_000 }, async () => {
  const collector = await createStandInCollector();
  const cli = startCli(['run', '--collector', collector.httpUrl, '--interval', '2', '--snapshot-every', '90', '--', process.execPath, '-e', 'setInterval(() => {}, 1000)']);
  try {
    await waitFor('the probe\'s hello', () => collector.messages.some((m) => m.type === 'hello'), 30_000);
    const hello = collector.messages.find((m) => m.type === 'hello') as { intervalMs: number; pid: number };
    assert.equal(hello.intervalMs, 2 * S);
    process.kill(hello.pid, 'SIGTERM');
    await cli.exited;
    assert.equal(cli.stderr().includes('LW_ERR_'), false, cli.stderr());
  } finally {
    cli.child.kill('SIGKILL');
    await collector.close();
  }
});

test('the samples follow the rule: --duration 1500ms, SAMPLE_DURATION=1 (seconds); 10x and 0 refused in one line', { timeout: 60_000 }, async () => {
  const sample = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(SAMPLES, 'leaky-cache-server.js'), ...args, '--rate', '5'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) => resolve({ code, out, err }));
    });
  const [withUnit, bare, garbage, zero] = await Promise.all([
    sample(['--duration', '1500ms']),
    sample([], { SAMPLE_DURATION: '1' }),
    sample(['--duration', '10x']),
    sample([], { SAMPLE_DURATION: '0' }),
  ]);
  assert.equal(withUnit.code, 0, withUnit.err);
  assert.match(withUnit.out, /driving load for 1\.5 s\n[^]*stopping \(1\.5 s elapsed\)/);
  assert.equal(bare.code, 0, bare.err);
  assert.match(bare.out, /driving load for 1 s\n[^]*stopping \(1 s elapsed\)/);
  for (const refused of [garbage, zero]) {
    assert.equal(refused.code, 2);
    assert.equal(refused.out, '');
    assert.match(refused.err, /^leaky-cache-server: --duration must be a duration above 0 .*a bare number is seconds.*, got "(10x|0)"\n$/);
  }
});

test('bad duration flags: one LW_ERR_ line, exit 64, no stack, before anything starts', { timeout: 60_000 }, async () => {
  const cases: [string[], RegExp][] = [
    [['run', '--duration', '0'], /^leakwatch: LW_ERR_CONFIG: --duration: must be more than 0, got "0"$/],
    [['run', '--duration', '-5'], /^leakwatch: LW_ERR_CONFIG: --duration: must not be negative, got "-5"$/],
    [['run', '--duration', '10x'], /^leakwatch: LW_ERR_CONFIG: --duration: expected a duration such as 500ms, 30s, 10m or 2h \(a bare number is seconds\), got "10x"$/],
    [['run', '--duration', '30d'], /^leakwatch: LW_ERR_CONFIG: --duration: must be at most 2147483647ms/],
    [['run', '--interval', '0'], /^leakwatch: LW_ERR_CONFIG: --interval: must be at least 100ms, got "0"$/],
    [['run', '--alloc-every', '0.5'], /^leakwatch: LW_ERR_CONFIG: --alloc-every: must be at least 1s, got "0.5"$/],
    [['run', '--check', '--warmup', '-1m'], /^leakwatch: LW_ERR_CONFIG: --warmup: must not be negative/],
  ];
  for (const [args, pattern] of cases) {
    // A collector nobody listens on: the flags must be refused before it is ever asked.
    const { code, stdout, stderr } = await runCli([...args.slice(0, 1), '--collector', 'http://127.0.0.1:9', ...args.slice(1), '--', process.execPath, '-e', '0']);
    assert.equal(code, 64, `${args.join(' ')}: ${stderr}`);
    assert.equal(stdout, '');
    assert.equal(stderr.trimEnd().split('\n').length, 1, stderr);
    assert.match(stderr.trimEnd(), pattern);
    assert.doesNotMatch(stderr, /\n\s+at /);
  }
  const check = await runCli(['check', '--latest', '--collector', 'http://127.0.0.1:9', '--min-duration', 'soon']);
  assert.equal(check.code, 64, check.stderr);
  assert.match(check.stderr, /^leakwatch: LW_ERR_CONFIG: --min-duration: expected a duration/);
  const snapshot = await runCli(['snapshot', 'some-run', '--collector', 'http://127.0.0.1:9', '--timeout', '0']);
  assert.equal(snapshot.code, 64, snapshot.stderr);
  assert.match(snapshot.stderr, /^leakwatch: LW_ERR_CONFIG: --timeout: must be more than 0/);
});

test('--help of each command with durations states the rule', { timeout: 60_000 }, async () => {
  for (const command of ['run', 'check', 'snapshot']) {
    const { code, stdout } = await runCli([command, '--help']);
    assert.equal(code, 0);
    assert.match(stdout.replace(/\s+/g, ' '), /Durations \([^)]*\) are a number with a unit \(500ms, 30s, 10m, 2h, 1d\) or a bare number of seconds/, command);
  }
});

test('the verdict API and leakwatch check read a bare minDuration as seconds, and refuse bad values', { timeout: 90_000 }, async () => {
  const temp = makeTempDir('durations-verdict');
  const store = await openStore({ target: { kind: 'embedded', dataDir: path.join(temp.dir, 'data') }, retentionDays: 30 });
  const collector = await startCollector({ store, port: 0, log: createLogger('error'), flushIntervalMs: 300 });
  try {
    // Five minutes of a heap floor rising 1 MB a minute: a leak once the run is long enough to judge.
    const start = Date.now() - 10 * M;
    const samples: SampleRow[] = [];
    const gcs: GcRow[] = [];
    for (let s = 0; s <= 300; s++) {
      const floor = 50 * 1024 * 1024 + (s / 60) * 1024 * 1024;
      samples.push(makeSample('short', start + s * S, Math.round(floor + 1024 * 1024 * (s % 10)), { seq: s + 1 }));
      if (s % 10 === 0) gcs.push(makeGc('short', start + s * S, 0, 'major', 5, Math.round(floor), s + 1));
    }
    await store.upsertRun(makeHello('short', { startedAt: start }));
    await store.insertRows({ samples, gcs, spaces: [] });
    const verdict = async (query: string) => {
      const res = await fetch(`${collector.url}/api/runs/short/verdict?${query}`);
      return { status: res.status, body: (await res.json()) as { verdict?: string; error?: { code: string; message: string } } };
    };
    // 600 is ten minutes: longer than the run, so inconclusive; 120 (two minutes) is judged.
    assert.equal((await verdict('minDuration=600&warmup=10')).body.verdict, 'inconclusive');
    assert.equal((await verdict('minDuration=120&warmup=10')).body.verdict, 'leak');
    assert.equal((await verdict('minDuration=2m&warmup=10s')).body.verdict, 'leak');
    for (const query of ['warmup=-5', 'warmup=10x', 'minDuration=1e999', 'minDuration=400d']) {
      const { status, body } = await verdict(query);
      assert.equal(status, 400, query);
      assert.match(JSON.stringify(body), /LW_ERR_BAD_REQUEST/, query);
    }
    // The same through the CLI, as a CI job would call it.
    const long = await runCli(['check', 'short', '--collector', collector.url, '--min-duration', '600', '--warmup', '10']);
    assert.equal(long.code, 2, long.stdout + long.stderr);
    assert.match(long.stdout, /need 10 min/);
    const judged = await runCli(['check', 'short', '--collector', collector.url, '--min-duration', '120', '--warmup', '10']);
    assert.equal(judged.code, 1, judged.stdout + judged.stderr);
  } finally {
    await collector.close();
    await store.close();
    temp.remove();
  }
});
