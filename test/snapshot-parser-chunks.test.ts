import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { HeapGraph } from '../src/snapshot/heap-graph';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { createSnapshotParser } from '../src/snapshot/snapshot-parser';
import { makeTempDir } from './helpers/temp-dir';

/**
 * The parser is fed whatever pieces the reader hands it: a number, an escape or a key may be cut
 * anywhere. The same bytes split at every offset (byte by byte) and at random offsets must give
 * exactly the graph of one whole write.
 */
const tmp = makeTempDir('chunks');
let bytes: Buffer;
let whole: HeapGraph;

before(() => {
  const file = path.join(tmp.dir, 'small.heapsnapshot');
  // A real V8 snapshot with multi-digit numbers everywhere and escaped, non-ASCII strings.
  const script = `globalThis.keep = Array.from({ length: 300 }, (_, i) => ({ ['k\\u00e9\\n' + i]: 'v"' + i * 1000003 }));
    require('v8').writeHeapSnapshot(${JSON.stringify(file)});`;
  execFileSync(process.execPath, ['-e', script]);
  bytes = fs.readFileSync(file);
  whole = loadSnapshotText(bytes);
});
after(() => tmp.remove());

function parseInPieces(cuts: number[], tokenizer: 'wasm' | 'js' = 'wasm'): HeapGraph {
  const parser = createSnapshotParser({ inputBytes: bytes.length, keepStrings: 'all', tokenizer });
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > at) parser.write(bytes.subarray(at, cut));
    at = Math.max(at, cut);
  }
  return parser.end();
}

function assertSameGraph(a: HeapGraph, b: HeapGraph): void {
  assert.equal(a.nodeCount, b.nodeCount);
  assert.equal(a.edgeCount, b.edgeCount);
  assert.deepEqual(a.nodeType, b.nodeType);
  assert.deepEqual(a.nodeName, b.nodeName);
  assert.deepEqual(a.nodeId, b.nodeId);
  assert.deepEqual(a.selfSize, b.selfSize);
  assert.deepEqual(a.firstEdge, b.firstEdge);
  assert.deepEqual(a.edgeType, b.edgeType);
  assert.deepEqual(a.edgeName, b.edgeName);
  assert.deepEqual(a.edgeTarget, b.edgeTarget);
  assert.equal(a.strings.count, b.strings.count);
  for (let i = 0; i < a.strings.count; i++) assert.equal(a.strings.get(i), b.strings.get(i), `string ${i}`);
}

for (const tokenizer of ['wasm', 'js'] as const) {
  test(`${tokenizer} tokenizer: split inside every number of the nodes array, one byte at a time`, () => {
    // Byte-by-byte over the first 64 KiB (the header and many nodes), then whole.
    const cuts = Array.from({ length: 65536 }, (_, i) => i + 1);
    assertSameGraph(parseInPieces(cuts, tokenizer), whole);
  });

  test(`${tokenizer} tokenizer: split at 2000 random offsets over the whole file`, () => {
    let seed = 12345;
    const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const cuts = Array.from({ length: 2000 }, () => Math.floor(random() * bytes.length)).sort((x, y) => x - y);
    assertSameGraph(parseInPieces(cuts, tokenizer), whole);
  });

  test(`${tokenizer} tokenizer: malformed number arrays give their error wherever the input is cut`, () => {
    const text = bytes.toString('latin1');
    const nodesAt = text.indexOf('"nodes":[') + 9;
    const cases: [string, (t: string) => string, RegExp][] = [
      ['empty element', (t) => t.slice(0, nodesAt + 4) + ',' + t.slice(nodesAt + 4).replace(/^(\d*),/, '$1,,'), /empty array element|COUNTS/],
      ['missing comma', (t) => t.slice(0, nodesAt) + t.slice(nodesAt).replace(/,(\d+),/, ',$1 1,'), /missing ","/],
      ['leading zero', (t) => t.slice(0, nodesAt) + t.slice(nodesAt).replace(/,([1-9]\d*),/, ',0$1,'), /leading zero/],
    ];
    for (const [what, damage, message] of cases) {
      const bad = Buffer.from(damage(text), 'latin1');
      for (const step of [bad.length, 7, 1]) {
        const parser = createSnapshotParser({ inputBytes: bad.length, keepStrings: 'all', tokenizer });
        assert.throws(
          () => {
            for (let at = 0; at < bad.length; at += step) parser.write(bad.subarray(at, Math.min(bad.length, at + step)));
            parser.end();
          },
          (err: Error & { code?: string }) => err.code === 'LW_ERR_SNAPSHOT_SYNTAX' && message.test(err.message),
          `${what}, pieces of ${step}`,
        );
      }
    }
  });
}

test('a number split after a zero is not a leading zero ("1|05" is 105)', () => {
  const text = bytes.toString('latin1');
  // Find a multi-digit number whose second digit is 0 inside the nodes array and cut right before that 0.
  const nodesAt = text.indexOf('"nodes":[');
  const match = /,([1-9])0(\d)/.exec(text.slice(nodesAt));
  assert.ok(match, 'the snapshot has a number like x0y in its nodes');
  const cut = nodesAt + match.index + 2;
  assertSameGraph(parseInPieces([cut]), whole);
});
