import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODES, closeReason, decodeCollectorMessage, decodeProbeMessage, ProtocolError } from '../src/protocol';

const base = { v: 1, run: 'run-1', boot: 'boot-1' };
const hello = { ...base, type: 'hello', seq: 0, name: 'app', labels: { env: 'ci' }, pid: 1, host: 'h', node: 'v20', argv: ['a.js'], startedAt: Date.now(), intervalMs: 1000, probeVersion: '0.1.0' };
const sample = { ts: Date.now(), rss: 1, heapTotal: 1, heapUsed: 1, external: 1, arrayBuffers: 1, heapLimit: 1, totalAvailable: 1, mallocedMemory: 1, peakMallocedMemory: 1, nativeContexts: 1, detachedContexts: 0, elP50Ms: 1, elP99Ms: 1, elMaxMs: 1 };

function rejects(frame: unknown, code: keyof typeof CLOSE_CODES, binary = false): void {
  assert.throws(() => decodeProbeMessage(typeof frame === 'string' ? frame : JSON.stringify(frame), binary), (err: unknown) => {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.code, code);
    assert.equal(err.closeCode, CLOSE_CODES[code]);
    return true;
  });
}

test('accepts hello, batch and bye and keeps only known fields', () => {
  assert.equal(decodeProbeMessage(JSON.stringify(hello)).type, 'hello');
  const batch = decodeProbeMessage(JSON.stringify({ ...base, type: 'batch', seq: 1, samples: [{ ...sample, extra: 'x' }], spaces: [], gcs: [{ ts: Date.now(), kind: 'major', durationMs: 2, heapUsedAfter: 5 }] }));
  assert.equal(batch.type, 'batch');
  if (batch.type === 'batch') {
    assert.equal('extra' in batch.samples[0], false);
    assert.equal(batch.gcs[0].weight, 1, 'an event without weight stands for one GC');
  }
  const bye = decodeProbeMessage(JSON.stringify({ ...base, type: 'bye', seq: 2, endedAt: Date.now(), reason: 'done' }));
  assert.equal(bye.type === 'bye' && bye.endsRun, true);
});

test('rejects each kind of bad input with its own code', () => {
  rejects('not json{', 'LW_ERR_PROTOCOL_JSON');
  rejects('[1,2]', 'LW_ERR_PROTOCOL_JSON');
  rejects('{}', 'LW_ERR_PROTOCOL_JSON', true);
  rejects({ ...hello, v: 2 }, 'LW_ERR_PROTOCOL_VERSION');
  rejects({ ...hello, type: 'launch-missiles' }, 'LW_ERR_PROTOCOL_TYPE');
  rejects({ ...base, type: 'batch', seq: 1, samples: [{ ...sample, heapUsed: -1 }], spaces: [], gcs: [] }, 'LW_ERR_PROTOCOL_RANGE');
  rejects({ ...base, type: 'batch', seq: 1, samples: [{ ...sample, ts: 5 }], spaces: [], gcs: [] }, 'LW_ERR_PROTOCOL_RANGE');
  rejects({ ...hello, run: 'bad id with spaces' }, 'LW_ERR_PROTOCOL_INVALID');
  rejects({ ...base, type: 'batch', seq: 1, samples: [], spaces: [], gcs: [{ ts: Date.now(), kind: 'mega', durationMs: 1, heapUsedAfter: null }] }, 'LW_ERR_PROTOCOL_INVALID');
  rejects('x'.repeat(1024 * 1024 + 1), 'LW_ERR_PROTOCOL_TOO_BIG');
  rejects({ ...base, type: 'batch', seq: 1, samples: [], spaces: [], gcs: [{ ts: Date.now(), kind: 'minor', durationMs: 1, heapUsedAfter: null, weight: 0.5 }] }, 'LW_ERR_PROTOCOL_RANGE');
});

test('close reasons fit a close frame', () => {
  assert.ok(Buffer.byteLength(closeReason('LW_ERR_PROTOCOL_INVALID', 'é'.repeat(300))) <= 123);
});

test('the probe ignores collector frames it does not understand', () => {
  assert.equal(decodeCollectorMessage('garbage'), null);
  assert.equal(decodeCollectorMessage(JSON.stringify({ v: 1, type: 'other' })), null);
  assert.deepEqual(decodeCollectorMessage(JSON.stringify({ v: 1, type: 'ack', run: 'r', boot: 'b', seq: 3 })), { v: 1, type: 'ack', run: 'r', boot: 'b', seq: 3 });
});

test('numbers a store column cannot hold are refused with LW_ERR_PROTOCOL_RANGE, naming the field', () => {
  const batch = (s: Record<string, unknown>) => JSON.stringify({ ...base, type: 'batch', seq: 1, samples: [{ ...sample, ...s }], spaces: [], gcs: [] });
  const cases: [string, RegExp][] = [
    [batch({ rss: 2 ** 53 }), /^samples\[0\]\.rss = 9007199254740992 is outside 0\.\.9007199254740991$/],
    [batch({ detachedContexts: 2 ** 32 }), /^samples\[0\]\.detachedContexts = 4294967296 is outside 0\.\.4294967295$/],
    [batch({ elP99Ms: 1e12 }), /^samples\[0\]\.elP99Ms/],
    [JSON.stringify({ ...hello, intervalMs: 2 ** 32 }), /^hello\.intervalMs/],
    [JSON.stringify({ ...base, type: 'batch', seq: 2 ** 60, samples: [], spaces: [], gcs: [] }), /^message\.seq/],
  ];
  for (const [frame, reason] of cases) {
    assert.throws(() => decodeProbeMessage(frame), (err: unknown) => err instanceof ProtocolError && err.code === 'LW_ERR_PROTOCOL_RANGE' && reason.test(err.message), reason.source);
  }
  // Times: within 2000-2200 always; within the window around the collector's clock when it gives one.
  const inTwoYears = batch({ ts: Date.now() + 2 * 365 * 86_400_000 });
  assert.equal(decodeProbeMessage(inTwoYears).type, 'batch');
  assert.throws(() => decodeProbeMessage(inTwoYears, false, { now: Date.now() }), /too far from the collector's clock/);
  assert.equal(decodeProbeMessage(batch({ ts: Date.now() - 30 * 86_400_000 }), false, { now: Date.now() }).type, 'batch', 'a month old is fine');
  // A wrong type stays LW_ERR_PROTOCOL_INVALID.
  assert.throws(() => decodeProbeMessage(batch({ rss: '1' })), (err: unknown) => err instanceof ProtocolError && err.code === 'LW_ERR_PROTOCOL_INVALID');
});
