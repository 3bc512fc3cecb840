import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AllocProfileMessage } from '../src/protocol/alloc-messages';
import { createStandInCollector } from '../support/stand-in-collector';
import { runCli } from './helpers/cli';

/** Keeps 16 KiB arrays from `grow()` for a while, then ends on its own. */
const APP = `globalThis.kept = []; globalThis.grow = function grow() { kept.push(new Array(2048).fill(1)); };
const t = setInterval(grow, 10); setTimeout(() => clearInterval(t), 2500);`;

test('leakwatch run --alloc-* flags reach the probe in the command; --no-alloc-sampling turns it off', { timeout: 120_000 }, async () => {
  const collector = await createStandInCollector();
  try {
    const on = await runCli(['run', '--collector', collector.httpUrl, '--alloc-every', '1s', '--alloc-interval', '32k', '--alloc-stack-depth', '4', '--', process.execPath, '-e', APP]);
    assert.equal(on.code, 0, on.stderr);
    const profiles = collector.messages.filter((m): m is AllocProfileMessage => m.type === 'alloc-profile');
    assert.ok(profiles.length >= 2, `${profiles.length} profiles`);
    assert.ok(profiles.every((p) => p.intervalBytes === 32 * 1024 && p.stackDepth === 4 && p.sites.every((s) => s.stack.length <= 4)));
    assert.ok(profiles.some((p) => p.sites.some((s) => p.frames[s.stack[0]!]!.fn === 'grow')), 'grow() is a site');

    const before = collector.messages.length;
    const off = await runCli(['run', '--collector', collector.httpUrl, '--no-alloc-sampling', '--alloc-every', '1s', '--', process.execPath, '-e', APP]);
    assert.equal(off.code, 0, off.stderr);
    const later = collector.messages.slice(before);
    assert.ok(later.some((m) => m.type === 'batch') && later.some((m) => m.type === 'bye'));
    assert.equal(later.filter((m) => m.type === 'alloc-profile').length, 0);
  } finally {
    await collector.close();
  }
});

test('bad allocation flags are one-line config errors before anything starts', { timeout: 60_000 }, async () => {
  for (const [flag, value, pattern] of [
    ['--alloc-interval', '0', /--alloc-interval: expected a size from 1KiB to 1GiB/],
    ['--alloc-interval', 'lots', /--alloc-interval: expected a size/],
    ['--alloc-stack-depth', '200', /--alloc-stack-depth: expected a whole number from 1 to 128/],
    ['--alloc-every', '100ms', /--alloc-every: must be at least 1s, got "100ms"/],
    ['--alloc-every', 'often', /--alloc-every: expected a duration/],
  ] as const) {
    const { code, stderr } = await runCli(['run', '--collector', 'http://127.0.0.1:9', flag, value, '--', process.execPath, '-e', '0']);
    assert.equal(code, 64, `${flag} ${value}: ${stderr}`);
    assert.match(stderr, /^leakwatch: LW_ERR_CONFIG: /);
    assert.match(stderr, pattern);
    assert.equal(stderr.trim().split('\n').length, 1);
  }
});
