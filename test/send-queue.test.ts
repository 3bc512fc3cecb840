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

test('a full queue drops the oldest message not yet sent (a sent one may be stored, its ack on the way); sent ones go only past twice the bound', () => {
  const q = createSendQueue({ maxMessages: 2, maxBytes: 1e6 });
  push(q, 1);
  push(q, 2);
  q.markSent(); // seq 1 sent
  push(q, 3); // drops seq 2, the oldest unsent
  assert.equal(q.peekUnsent()?.seq, 3);
  q.markSent(); // 1 and 3 sent
  push(q, 4); // all in flight: kept, over the bound
  assert.equal(q.size, 3);
  assert.equal(q.peekUnsent()?.seq, 4);
  q.markSent();
  push(q, 5); // still all in flight: kept, now at twice the bound
  q.markSent();
  push(q, 6); // past twice the bound: the oldest sent one (seq 1) goes
  assert.equal(q.size, 4);
  assert.equal(q.peekUnsent()?.seq, 6);
  q.rewind();
  const seqs: number[] = [];
  for (let m = q.peekUnsent(); m; m = q.peekUnsent()) {
    seqs.push(m.seq);
    q.markSent();
  }
  assert.deepEqual(seqs, [3, 4, 5, 6]);
  assert.equal(q.stats().droppedMessages, 2);
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

test('a long outage loses no gap: a dropped message that reported a loss hands it on, so the gaps still queued count every dropped sample', () => {
  for (const bounds of [{ maxMessages: 3, maxBytes: 1e6 }, { maxMessages: 1000, maxBytes: 200 }]) {
    const q = createSendQueue(bounds);
    for (let i = 0; i < 50; i++) push(q, 1000 + i);
    const queued: { seq: number; gap?: { droppedSamples: number; droppedMessages: number; fromTs: number; toTs: number } }[] = [];
    for (let m = q.peekUnsent(); m; m = q.peekUnsent()) {
      queued.push(JSON.parse(m.text));
      q.markSent();
    }
    const reported = queued.reduce((sum, m) => sum + (m.gap?.droppedSamples ?? 0), 0);
    const stats = q.stats();
    assert.ok(stats.droppedSamples > 0, `something was dropped (${JSON.stringify(bounds)})`);
    assert.equal(stats.queuedSamples, 50);
    assert.equal(reported + stats.unreportedSamples, stats.droppedSamples, `every dropped sample is in a queued gap or the next one (${JSON.stringify(bounds)})`);
    assert.equal(reported + stats.unreportedSamples + queued.length, 50);
    const spans = queued.filter((m) => m.gap).map((m) => m.gap!);
    assert.equal(Math.min(...spans.map((g) => g.fromTs)), 1000, 'the oldest loss is still reported');
  }
});
