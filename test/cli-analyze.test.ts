import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SnapshotTypeRow, TypeDiffRow } from '../src/shared/snapshot-data';
import { runCli } from './helpers/cli';
import { writeGrowingSnapshots } from './helpers/heap-snapshot-files';
import { makeTempDir } from './helpers/temp-dir';

const tmp = makeTempDir('analyze');
let first = '';
let second = '';

/** Writes a snapshot from a real Node process holding `count` instances of class Widget. */
function snapshotWithWidgets(file: string, count: number): void {
  const script = `
    class Widget { constructor(i) { this.i = i; this.label = 'w' + i; } }
    globalThis.widgets = Array.from({ length: ${count} }, (_, i) => new Widget(i));
    require('v8').writeHeapSnapshot(${JSON.stringify(file)});
  `;
  execFileSync(process.execPath, ['-e', script]);
}

before(() => {
  first = path.join(tmp.dir, 'a.heapsnapshot');
  second = path.join(tmp.dir, 'b.heapsnapshot');
  snapshotWithWidgets(first, 1000);
  snapshotWithWidgets(second, 21000);
});
after(() => tmp.remove());

test('analyze prints the per-type table of one snapshot', async () => {
  const result = await runCli(['analyze', first, '--top', '200', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /a\.heapsnapshot: \d+ nodes, \d+ edges/);
  const widget = result.stdout.split('\n').find((line) => line.startsWith('Widget '));
  assert.ok(widget, result.stdout);
  assert.match(widget, /^Widget\s+1000\s/);
});

test('analyze --json gives every type with counts that add up to the non-empty nodes', async () => {
  const result = await runCli(['analyze', first, '--json', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { nodeCount: number; types: SnapshotTypeRow[]; totalSize: number };
  const widget = report.types.find((t) => t.type === 'Widget');
  assert.equal(widget?.count, 1000);
  const selfSum = report.types.reduce((sum, t) => sum + t.selfSize, 0);
  assert.equal(selfSum, report.totalSize, 'self sizes of all types add up to the total');
  for (let i = 1; i < report.types.length; i++) assert.ok(report.types[i - 1].retainedSize >= report.types[i].retainedSize);
});

test('analyze a b prints the per-type diff, largest retained growth first', async () => {
  const result = await runCli(['analyze', first, second, '--json', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  const { rows } = JSON.parse(result.stdout) as { rows: TypeDiffRow[] };
  const widget = rows.find((r) => r.type === 'Widget');
  assert.equal(widget?.countDelta, 20000);
  assert.ok(rows[0].retainedSizeDelta >= widget!.retainedSizeDelta);
  const text = await runCli(['analyze', first, second, '--no-progress']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /Widget\s+1000 → 21000\s+\+20000/);
  // Two different processes: offline the ids are matched as given (each file's Widgets have their own ids).
  assert.equal(typeof widget?.newCount, 'number');
  assert.equal(widget!.countB, widget!.countA + widget!.newCount! - widget!.deletedCount!);
  assert.match(text.stdout.split('\n').find((line) => line.includes('TYPE')) ?? '', /#NEW\s+#DELETED\s+NEW SIZE/);
});

test('analyze a b of two snapshots of one process: #new and #deleted by object id', { timeout: 60_000 }, async () => {
  const { before, after } = await writeGrowingSnapshots(tmp.dir, 3000, 'cli');
  const result = await runCli(['analyze', before, after, '--json', '--no-progress']);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout) as { matchedById: boolean; a: Record<string, unknown>; rows: TypeDiffRow[] };
  assert.equal(report.matchedById, true);
  assert.equal('nodeIndex' in report.a, false, 'the index is not output');
  const leak = report.rows.find((r) => r.type === 'LeakwatchTestLeak');
  assert.deepEqual([leak?.countDelta, leak?.newCount, leak?.deletedCount], [3000, 3000, 0]);
  const text = await runCli(['analyze', before, after, '--no-progress', '--top', '0']);
  assert.match(text.stdout, /LeakwatchTestLeak\s+0 → 3000\s+\+3000\s+3000\s+0\s/);
});

test('a malformed or missing file is one line with its code, exit 64', async () => {
  const cut = path.join(tmp.dir, 'cut.heapsnapshot');
  const bytes = fs.readFileSync(first);
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
  const truncated = await runCli(['analyze', cut, '--no-progress']);
  assert.equal(truncated.code, 64);
  assert.match(truncated.stderr, /^leakwatch: LW_ERR_SNAPSHOT_TRUNCATED: .+\n$/);
  const missing = await runCli(['analyze', path.join(tmp.dir, 'none.heapsnapshot'), '--no-progress']);
  assert.equal(missing.code, 64);
  assert.match(missing.stderr, /^leakwatch: LW_ERR_SNAPSHOT_IO: .+ENOENT\n$/);
});
