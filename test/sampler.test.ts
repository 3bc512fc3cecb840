import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSampler } from '../src/probe/sampler';

test('event-loop delay is ~0 when idle and shows a real block', async () => {
  const sampler = createSampler();
  try {
    await new Promise((resolve) => setTimeout(resolve, 600));
    const idle = sampler.read(Date.now()).sample;
    assert.ok(idle.elP50Ms < 5, `idle p50 ${idle.elP50Ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const until = Date.now() + 150;
    while (Date.now() < until) {
      // block the loop for 150 ms
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const blocked = sampler.read(Date.now()).sample;
    assert.ok(blocked.elMaxMs > 100 && blocked.elMaxMs < 400, `max after a 150 ms block: ${blocked.elMaxMs} ms`);
  } finally {
    sampler.close();
  }
});

test('a sample reads every memory counter and every heap space', () => {
  const sampler = createSampler();
  try {
    const { sample, spaces } = sampler.read(Date.now());
    for (const [key, value] of Object.entries(sample)) assert.ok(Number.isFinite(value) && value >= 0, `${key} = ${value}`);
    assert.ok(sample.heapUsed > 0 && sample.heapUsed <= sample.heapTotal && sample.heapTotal < sample.heapLimit);
    assert.ok(sample.mallocedMemory > 0 && sample.nativeContexts >= 1);
    const names = spaces.map((s) => s.space);
    for (const expected of ['new_space', 'old_space', 'code_space', 'large_object_space']) assert.ok(names.includes(expected), expected);
  } finally {
    sampler.close();
  }
});
