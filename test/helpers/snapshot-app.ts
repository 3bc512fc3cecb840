/**
 * A small app for the snapshot tests, run in a child process with the probe attached by
 * `-r register.js` and configured through LEAKWATCH_* variables. It holds APP_HEAP_MB of small
 * objects, beats every 50 ms (so a test can tell it keeps running), and answers IPC messages:
 * `stats` (probe stats, beats, rss), `grow` (hold `mb` more, then a full GC when exposed),
 * `stop-probe` and `exit`. Without an IPC channel (the test runner loading every file under
 * test/) it does nothing.
 */
import v8 from 'node:v8';
import { startProbe, stopProbe } from '../../src/probe';

const MB = 1024 * 1024;
const held: unknown[] = [];
(globalThis as { held?: unknown[] }).held = held;

function grow(mb: number): void {
  const target = v8.getHeapStatistics().used_heap_size + mb * MB;
  let i = held.length;
  while (v8.getHeapStatistics().used_heap_size < target) {
    for (let j = 0; j < 5000; j++, i++) held.push({ id: i, name: `item-${i}`, tags: [i, i + 1] });
  }
}

function main(): void {
  grow(Number(process.env.APP_HEAP_MB ?? 0));
  const gcEveryBeats = Number(process.env.APP_GC_EVERY_BEATS ?? 0);
  const collect = (globalThis as { gc?: () => void }).gc;
  let beats = 0;
  setInterval(() => {
    beats++;
    if (gcEveryBeats > 0 && collect && beats % gcEveryBeats === 0) collect();
  }, 50);

  let probeStopped = false;
  process.on('message', (msg: { type: string; mb?: number }) => {
    if (msg.type === 'stats') {
      process.send!({ type: 'stats', beats, rss: process.memoryUsage().rss, probe: probeStopped ? null : startProbe().stats() });
    } else if (msg.type === 'grow') {
      grow(msg.mb ?? 1);
      collect?.();
      process.send!({ type: 'grown', heapUsed: v8.getHeapStatistics().used_heap_size });
    } else if (msg.type === 'stop-probe') {
      probeStopped = true;
      void stopProbe(2000).then((result) => process.send!({ type: 'probe-stopped', ...result }));
    } else if (msg.type === 'exit') {
      process.exit(0);
    }
  });
  process.send!({ type: 'ready', heapUsed: v8.getHeapStatistics().used_heap_size });
}

if (process.send) main();
