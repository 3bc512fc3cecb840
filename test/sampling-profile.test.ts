import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_ALLOC_SITES } from '../src/protocol/alloc-messages';
import { decodeProbeMessage } from '../src/protocol/decode';
import { encodeMessage } from '../src/protocol/encode';
import { PROTOCOL_VERSION } from '../src/protocol/messages';
import { flattenSamplingProfile, MAX_ALLOC_PROFILE_BYTES, type V8SamplingNode, type V8SamplingProfile } from '../src/probe/sampling-profile';

let nextId = 1;
function node(functionName: string, url: string, lineNumber: number, columnNumber: number, selfSize: number, children: V8SamplingNode[] = []): V8SamplingNode {
  return { callFrame: { functionName, url, lineNumber, columnNumber }, selfSize, id: nextId++, children };
}

function samplesFor(...pairs: [V8SamplingNode, number][]): V8SamplingProfile['samples'] {
  const samples: V8SamplingProfile['samples'] = [];
  let ordinal = 1;
  for (const [n, count] of pairs) for (let i = 0; i < count; i++) samples.push({ size: 64, nodeId: n.id, ordinal: ordinal++ });
  return samples;
}

const base = { at: 1_767_000_060_000, startedAt: 1_767_000_000_000, intervalBytes: 524_288 };

test('each node with live samples is a site: stack innermost first, 1-based positions, frames shared', () => {
  // (root) -> main (app.js:1:1) -> handle (app.js:10:3) -> remember (app.js:20:5) [3 samples, 3000 B]
  //                             -> handle -> log (lib.js:5:1)                     [1 sample, 500 B]
  const remember = node('remember', '/srv/app.js', 19, 4, 3000);
  const log = node('log', 'file:///srv/lib.js', 4, 0, 500);
  const handle = node('handle', '/srv/app.js', 9, 2, 0, [remember, log]);
  const main = node('main', '/srv/app.js', 0, 0, 0, [handle]);
  const root = node('(root)', '', -1, -1, 0, [main]);
  const flat = flattenSamplingProfile({ head: root, samples: samplesFor([remember, 3], [log, 1]) }, { ...base, stackDepth: 64 });
  const { body } = flat;
  assert.equal(flat.nodes, 5);
  const text = body.sites.map((s) => ({ stack: s.stack.map((i) => `${body.frames[i]!.fn}@${body.frames[i]!.url}:${body.frames[i]!.line}:${body.frames[i]!.col}`), liveBytes: s.liveBytes, samples: s.samples }));
  assert.deepEqual(text, [
    { stack: ['remember@/srv/app.js:20:5', 'handle@/srv/app.js:10:3', 'main@/srv/app.js:1:1'], liveBytes: 3000, samples: 3 },
    { stack: ['log@file:///srv/lib.js:5:1', 'handle@/srv/app.js:10:3', 'main@/srv/app.js:1:1'], liveBytes: 500, samples: 1 },
  ]);
  assert.equal(body.frames.length, 4, 'handle and main appear once in the frames table');
  assert.deepEqual(body.other, { sites: 0, liveBytes: 0, samples: 0 });
  assert.equal(body.type, 'alloc-profile');
  assert.equal(body.at, 1_767_000_060_000);
  assert.equal(body.startedAt, 1_767_000_000_000);
  assert.equal(body.intervalBytes, 524_288);
  assert.equal(body.stackDepth, 64);
  // The protocol's own decoder accepts it, and it carries what the body says.
  const decoded = decodeProbeMessage(encodeMessage({ v: PROTOCOL_VERSION, run: 'r1', boot: 'b1', seq: 3, ...body }));
  assert.equal(decoded.type, 'alloc-profile');
  assert.deepEqual(decoded.type === 'alloc-profile' && decoded.sites, body.sites);
});

test('a VM-state node without a position gets line and column 0; the root never appears in a stack', () => {
  const api = node('(V8 API)', '', -1, -1, 128);
  const root = node('(root)', '', -1, -1, 0, [api]);
  const { body } = flattenSamplingProfile({ head: root, samples: samplesFor([api, 2]) }, { ...base, stackDepth: 8 });
  assert.deepEqual(body.frames, [{ fn: '(V8 API)', url: '', line: 0, col: 0 }]);
  assert.deepEqual(body.sites, [{ stack: [0], liveBytes: 128, samples: 2 }]);
});

test('stacks are cut to the stack depth (innermost kept); sites whose cut stacks are equal merge', () => {
  // Two callers of the same two innermost frames: with depth 2 both are one site.
  const leafA = node('push', '/a.js', 4, 0, 100);
  const leafB = node('push', '/a.js', 4, 0, 300);
  const midA = node('add', '/a.js', 9, 0, 0, [leafA]);
  const midB = node('add', '/a.js', 9, 0, 0, [leafB]);
  const callerA = node('fromHttp', '/b.js', 0, 0, 0, [midA]);
  const callerB = node('fromTimer', '/c.js', 0, 0, 0, [midB]);
  const root = node('(root)', '', -1, -1, 0, [callerA, callerB]);
  const profile = { head: root, samples: samplesFor([leafA, 1], [leafB, 2]) };
  const cut = flattenSamplingProfile(profile, { ...base, stackDepth: 2 }).body;
  assert.equal(cut.stackDepth, 2);
  assert.deepEqual(cut.sites, [{ stack: [0, 1], liveBytes: 400, samples: 3 }]);
  assert.deepEqual(cut.frames.map((f) => f.fn), ['push', 'add']);
  const full = flattenSamplingProfile(profile, { ...base, stackDepth: 64 }).body;
  assert.deepEqual(full.sites.map((s) => [s.liveBytes, s.stack.map((i) => full.frames[i]!.fn).join('<')]), [
    [300, 'push<add<fromTimer'],
    [100, 'push<add<fromHttp'],
  ]);
});

test('beyond the site limit the smallest sites are summed in other; ties break the same way every time', () => {
  const leaves = Array.from({ length: 8 }, (_, i) => node(`f${i}`, '/x.js', i, 0, i < 2 ? 50 : 100 * (i + 1)));
  const root = node('(root)', '', -1, -1, 0, leaves);
  const samples = samplesFor(...leaves.map((l, i) => [l, i + 1] as [V8SamplingNode, number]));
  const { body } = flattenSamplingProfile({ head: root, samples }, { ...base, stackDepth: 4, maxSites: 3 });
  assert.deepEqual(body.sites.map((s) => body.frames[s.stack[0]!]!.fn), ['f7', 'f6', 'f5']);
  assert.deepEqual(body.other, { sites: 5, liveBytes: 50 + 50 + 300 + 400 + 500, samples: 1 + 2 + 3 + 4 + 5 });
  // f0 and f1 both hold 50 B: more samples first (f1), whatever order V8 listed them in.
  const reversed = node('(root)', '', -1, -1, 0, [...leaves].reverse());
  const again = flattenSamplingProfile({ head: reversed, samples }, { ...base, stackDepth: 4 }).body;
  assert.deepEqual(again.sites.slice(-2).map((s) => again.frames[s.stack[0]!]!.fn), ['f1', 'f0']);
  assert.ok(MAX_ALLOC_SITES >= 200);
});

test('the frames table and the encoded size stay within bounds by moving the smallest sites to other', () => {
  // 300 sites, each a distinct 20-frame stack of long urls: far over 512 KiB and 4000 frames.
  const longUrl = `/srv/${'deep/'.repeat(60)}module.js`;
  const leaves: V8SamplingNode[] = [];
  const tops: V8SamplingNode[] = [];
  for (let s = 0; s < 300; s++) {
    let chain = node(`site${s}`, longUrl, s, 0, 1000 + s);
    leaves.push(chain);
    for (let d = 0; d < 19; d++) chain = node(`caller${s}_${d}`, longUrl, d, s, 0, [chain]);
    tops.push(chain);
  }
  const root = node('(root)', '', -1, -1, 0, tops);
  const samples = samplesFor(...leaves.map((l) => [l, 1] as [V8SamplingNode, number]));
  const flat = flattenSamplingProfile({ head: root, samples }, { ...base, stackDepth: 64 });
  const { body } = flat;
  assert.ok(body.frames.length <= 4000, `${body.frames.length} frames`);
  const size = Buffer.byteLength(encodeMessage({ v: PROTOCOL_VERSION, run: 'r'.repeat(36), boot: 'b'.repeat(36), seq: 1e9, ...body }));
  assert.ok(size <= MAX_ALLOC_PROFILE_BYTES, `${size} bytes`);
  assert.ok(body.sites.length > 50 && body.sites.length < 200, `${body.sites.length} sites kept`);
  // The kept ones are the largest; everything else is in other, nothing lost or counted twice.
  const kept = body.sites.map((s) => s.liveBytes);
  assert.deepEqual(kept, [...kept].sort((a, b) => b - a));
  assert.equal(kept[0], 1299);
  assert.ok(Math.min(...kept) > 1000 + body.other.sites - 1);
  assert.equal(body.sites.length + body.other.sites, 300);
  const total = leaves.reduce((sum, l) => sum + l.selfSize, 0);
  assert.equal(kept.reduce((a, b) => a + b, 0) + body.other.liveBytes, total);
  assert.equal(body.sites.reduce((a, s) => a + s.samples, 0) + body.other.samples, 300);
  // A tighter byte bound keeps fewer; a bound nothing fits in keeps none, all in other.
  assert.ok(flattenSamplingProfile({ head: root, samples }, { ...base, stackDepth: 64, maxBytes: 64 * 1024 }).body.sites.length < body.sites.length);
  const none = flattenSamplingProfile({ head: root, samples }, { ...base, stackDepth: 64, maxBytes: 100 }).body;
  assert.deepEqual([none.sites.length, none.frames.length, none.other.sites], [0, 0, 300]);
});

test('a 10,000-frame-deep tree is walked without recursion', () => {
  let chain = node('bottom', '/deep.js', 0, 0, 4096);
  const leaf = chain;
  for (let i = 0; i < 10_000; i++) chain = node(`f${i}`, '/deep.js', i, 0, 0, [chain]);
  const root = node('(root)', '', -1, -1, 0, [chain]);
  const { body, nodes } = flattenSamplingProfile({ head: root, samples: samplesFor([leaf, 1]) }, { ...base, stackDepth: 128 });
  assert.equal(nodes, 10_002);
  assert.equal(body.sites[0]!.stack.length, 128);
  assert.deepEqual(body.sites[0]!.stack.slice(0, 3).map((i) => body.frames[i]!.fn), ['bottom', 'f0', 'f1']);
});
