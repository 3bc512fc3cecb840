import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Writes real V8 heap snapshots in a child process: `before` of an idle process, then `after`
 * once it holds `count` more objects of class `LeakwatchTestLeak` (each with a string and an
 * array, so the class gains count, self and retained size).
 */
export async function writeGrowingSnapshots(dir: string, count: number, prefix = 'grow'): Promise<{ before: string; after: string }> {
  const before = path.join(dir, `${prefix}-before.heapsnapshot`);
  const after = path.join(dir, `${prefix}-after.heapsnapshot`);
  const script = `
    const v8 = require('v8');
    class LeakwatchTestLeak { constructor(i) { this.id = i; this.label = 'leak-' + i; this.items = [i, i + 1]; } }
    const kept = [];
    v8.writeHeapSnapshot(process.argv[1]);
    for (let i = 0; i < Number(process.argv[3]); i++) kept.push(new LeakwatchTestLeak(i));
    v8.writeHeapSnapshot(process.argv[2]);
    if (kept.length < 0) console.log(kept);
  `;
  await run(process.execPath, ['-e', script, before, after, String(count)], { maxBuffer: 1024 * 1024 });
  return { before, after };
}
