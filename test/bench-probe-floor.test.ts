import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFloorCostReport, runFloorCostBench } from '../bench/probe/floor-cost';

/**
 * The measured floor's cost bench, run small (a 1 s schedule for a few seconds instead of the
 * default 10 s for minutes): the three processes run, only the floor mode collects, its pauses come
 * from the probe's counters, and the report has its rows. It asserts what is counted, never how
 * fast: on a shared machine the figures are the benchmark's business.
 */
test('bench:probe measured floor cost: only the floor mode collects, each collection has a pause and a GC time, and the rows print', { timeout: 120_000 }, async () => {
  const options = { seconds: 6, repeats: 1, every: '1s' };
  const repeats = await runFloorCostBench(options, () => undefined);
  assert.equal(repeats.length, 1);
  const byMode = Object.fromEntries(repeats[0]!.map((r) => [r.mode, r]));
  for (const mode of ['bare', 'probe', 'floor']) {
    assert.ok(byMode[mode], `no result for ${mode}`);
    assert.ok(byMode[mode]!.rendered > 100 && byMode[mode]!.cpuUs > 0, `${mode}: ${JSON.stringify(byMode[mode])}`);
  }
  assert.equal(byMode.bare!.pausesMs.length, 0);
  assert.equal(byMode.probe!.pausesMs.length, 0, 'the probe without the measured floor collected');
  const floor = byMode.floor!;
  assert.equal(floor.failures, 0);
  // A 1 s least gap over 6 s, stretched by the 1 % budget when a pause is over 10 ms (on a busy
  // machine one pause can stretch it past the run): at least one, and none in the other modes.
  assert.ok(floor.pausesMs.length >= 1, `floor collections: ${floor.pausesMs.length}`);
  assert.equal(floor.gcMs.length, floor.pausesMs.length);
  assert.ok(floor.pausesMs.every((ms) => ms > 0));
  // V8 reports the major GCs it ran for each request (the observer sees them a little later).
  assert.ok(floor.gcMs.filter((ms) => ms > 0).length >= floor.pausesMs.length - 1, `GC ms ${floor.gcMs.join(', ')}`);

  const text = formatFloorCostReport(repeats, options, 500_000).join('\n');
  assert.match(text, /\nbare\s+\d+\.\d\d\s+\d+\.\d\d\s+1\.000\s+-\s+\d/);
  assert.match(text, /\nprobe\s+\d+\.\d\d\s+\d+\.\d\d\s+\d\.\d{3}\s+1\.000\s+\d/);
  assert.match(text, /\nprobe \+ floor\s+\d+\.\d\d\s+\d+\.\d\d\s+\d\.\d{3}\s+\d\.\d{3}\s+\d/);
  assert.match(text, new RegExp(`floor collections: ${floor.pausesMs.length} in \\d+ s \\(0 failed\\); request-to-answer median [\\d.]+ ms, max [\\d.]+ ms; GC median [\\d.]+ ms, max [\\d.]+ ms`));
  assert.match(text, /measured floor CPU: probe \+ floor \/ probe = \d\.\d{3}; extra -?[\d.]+ ms CPU per second, -?[\d.]+ % of the HTTP workload's 500 ms CPU per second under load/);
});
