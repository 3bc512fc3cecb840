import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSendQueue } from '../src/probe/send-queue';

function push(queue: ReturnType<typeof createSendQueue>, ts: number): void {
  queue.push((seq, gap) => ({ text: JSON.stringify({ seq, gap }), samples: 1, ts }));
}

test('assigns consecutive seqs and forgets acknowledged messages', () => {
  const q = createSendQueue({ maxMessages: 10, maxBytes: 1e6 });
  for (let i = 0; i < 3; i++) push(q, 1000 + i);
  assert.equal(q.peekUnsent()?.seq, 1);
  q.markSent();
  q.markSent();
  assert.equal(q.peekUnsent()?.seq, 3);
  q.ack(2);
  assert.equal(q.size, 1);
  assert.equal(q.peekUnsent()?.seq, 3);
});

test('rewind resends everything unacknowledged, in order', () => {
  const q = createSendQueue({ maxMessages: 10, maxBytes: 1e6 });
  for (let i = 0; i < 4; i++) push(q, i);
  for (let i = 0; i < 4; i++) q.markSent();
  assert.equal(q.peekUnsent(), undefined);
  q.ack(1);
  q.rewind();
  const seqs: number[] = [];
  for (let m = q.peekUnsent(); m; m = q.peekUnsent()) {
    seqs.push(m.seq);
    q.markSent();
  }
  assert.deepEqual(seqs, [2, 3, 4]);
});

test('when full it drops the oldest and reports the gap on the next message', () => {
  const q = createSendQueue({ maxMessages: 3, maxBytes: 1e6 });
  for (let i = 0; i < 5; i++) push(q, 1000 + i); // seqs 1..5; 1 and 2 dropped
  assert.equal(q.size, 3);
  const stats = q.stats();
  assert.equal(stats.droppedMessages, 2);
  assert.equal(stats.droppedSamples, 2);
  const texts: { seq: number; gap?: { droppedMessages: number; fromTs: number; toTs: number } }[] = [];
  for (let m = q.peekUnsent(); m; m = q.peekUnsent()) {
    texts.push(JSON.parse(m.text));
    q.markSent();
  }
  assert.deepEqual(texts.map((t) => t.seq), [3, 4, 5]);
  // seq 4 was built after seq 1 was dropped, seq 5 after seq 2 was dropped
  assert.deepEqual(texts[1].gap, { droppedMessages: 1, droppedSamples: 1, fromTs: 1000, toTs: 1000 });
  assert.deepEqual(texts[2].gap, { droppedMessages: 1, droppedSamples: 1, fromTs: 1001, toTs: 1001 });
});

test('the byte bound holds too', () => {
  const q = createSendQueue({ maxMessages: 1000, maxBytes: 100 });
  for (let i = 0; i < 50; i++) q.push(() => ({ text: 'x'.repeat(30), samples: 1, ts: i }));
  assert.ok(q.stats().queuedBytes <= 100);
  assert.equal(q.stats().droppedMessages + q.size, 50);
});

test('dropping an already-sent message keeps the send cursor on the right message', () => {
  const q = createSendQueue({ maxMessages: 2, maxBytes: 1e6 });
  push(q, 1);
  push(q, 2);
  q.markSent(); // seq 1 sent
  push(q, 3); // drops seq 1
  assert.equal(q.peekUnsent()?.seq, 2);
});

test('a message that cannot carry a gap (a snapshot status) leaves it for the next batch', () => {
  const q = createSendQueue({ maxMessages: 3, maxBytes: 1e6 });
  for (let i = 0; i < 4; i++) push(q, 1000 + i); // seq 1 dropped; seq 4 reports it
  let statusGap: unknown = 'not built';
  q.push(
    (seq, gap) => {
      statusGap = gap;
      return { text: JSON.stringify({ seq, status: true }), samples: 0, ts: 2000 };
    },
    { carriesGap: false },
  ); // seq 5; seq 2 dropped
  assert.equal(statusGap, undefined);
  push(q, 3000); // seq 6; seq 3 dropped
  const texts: string[] = [];
  for (let m = q.peekUnsent(); m; m = q.peekUnsent()) {
    texts.push(m.text);
    q.markSent();
  }
  const last = JSON.parse(texts[texts.length - 1]!) as { seq: number; gap?: { droppedMessages: number; fromTs: number; toTs: number } };
  assert.equal(last.seq, 6);
  assert.deepEqual(last.gap && { droppedMessages: last.gap.droppedMessages, fromTs: last.gap.fromTs, toTs: last.gap.toTs }, { droppedMessages: 2, fromTs: 1001, toTs: 1002 });
});
