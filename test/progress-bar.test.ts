import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProgressBar } from '../src/cli/progress-bar';

function capture(isTTY: boolean, columns = 80) {
  const writes: string[] = [];
  return { stream: { isTTY, columns, write: (text: string) => writes.push(text) }, writes };
}

test('on a terminal the bar is redrawn in place, throttled, and ended with a newline', () => {
  let now = 0;
  const { stream, writes } = capture(true, 60);
  const bar = createProgressBar({ stream, now: () => now, redrawMs: 100 });
  bar.update(0, 0, 'capturing');
  bar.update(0, 1000, 'uploading');
  now = 10;
  bar.update(500, 1000, 'uploading'); // within the redraw interval: skipped
  now = 150;
  bar.update(500, 1000, 'uploading');
  now = 160;
  bar.update(1000, 1000, 'uploading'); // 100% is always drawn
  bar.done('ready');
  assert.equal(writes.length, 5);
  assert.equal(writes[0], '\r\x1b[2Kcapturing', 'an unknown total shows the label alone');
  assert.match(writes[1], /^\r\x1b\[2Kuploading \[-+\]   0%$/);
  assert.match(writes[2], /^\r\x1b\[2Kuploading \[#+-+\]  50%$/);
  assert.match(writes[3], /^\r\x1b\[2Kuploading \[#+\] 100%$/);
  const barWidth = /\[([#-]+)\]/.exec(writes[2])![1].length;
  assert.ok(barWidth >= 10 && barWidth <= 40 && barWidth <= 60 - 'uploading'.length, `bar fits the terminal (${barWidth})`);
  assert.equal(/\[(#+)/.exec(writes[2])![1].length, Math.round(barWidth / 2));
  assert.equal(writes[4], '\nready\n');
});

test('without a terminal it prints plain lines: on a new label, then at most every interval', () => {
  let now = 0;
  const { stream, writes } = capture(false);
  const bar = createProgressBar({ stream, now: () => now, lineIntervalMs: 2000 });
  bar.update(0, 100, 'uploading');
  for (let i = 1; i <= 30; i++) {
    now += 100;
    bar.update(i, 100, 'uploading');
  }
  now += 100;
  bar.update(100, 100, 'uploading');
  bar.update(5, 1000, 'analysing (load)');
  bar.done();
  bar.update(900, 1000, 'analysing (load)'); // after done: ignored
  assert.deepEqual(writes, ['uploading 0%\n', 'uploading 20%\n', 'uploading 100%\n', 'analysing (load) 0%\n']);
  assert.ok(writes.every((w) => !w.includes('\r') && !w.includes('\x1b')), 'no control characters in a log');
});
