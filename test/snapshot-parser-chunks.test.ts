import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { HeapGraph } from '../src/snapshot/heap-graph';
import { createJsNumberTokenizer } from '../src/snapshot/js-number-tokenizer';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { EXPECT_NUMBER, TOKEN_OK, type NumberTokenizer } from '../src/snapshot/number-tokenizer';
import { createSnapshotParser } from '../src/snapshot/snapshot-parser';
import { createWasmNumberTokenizer } from '../src/snapshot/wasm-number-tokenizer';
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

/** Both implementations of the one interface, with a window of `windowBytes` (default: their own). */
const TOKENIZERS: Record<'wasm' | 'js', (windowBytes?: number) => NumberTokenizer> = {
  wasm: (windowBytes) => {
    const tokenizer = createWasmNumberTokenizer(windowBytes);
    assert.ok(tokenizer, 'WebAssembly is available');
    return tokenizer;
  },
  js: (windowBytes) => createJsNumberTokenizer(windowBytes),
};

/** Feeds a number list (after its '[', up to its ']') in pieces of `step` bytes; returns its numbers. */
function tokenizeAll(tokenizer: NumberTokenizer, list: Buffer, step: number): number[] {
  const numbers: number[] = [];
  tokenizer.reset();
  for (let at = 0; at < list.length; at += step) {
    const end = Math.min(list.length, at + step);
    for (let i = at; i < end; ) {
      const windowEnd = Math.min(end, i + tokenizer.windowBytes);
      const stop = tokenizer.tokenize(list, i, end);
      assert.equal(tokenizer.error, TOKEN_OK, `no error at byte ${stop}`);
      for (let k = 0; k < tokenizer.count; k++) numbers.push(tokenizer.values[k]);
      if (stop < windowEnd) {
        assert.equal(String.fromCharCode(list[stop]), ']', `stopped at the closing bracket, byte ${stop}`);
        if (tokenizer.mode !== EXPECT_NUMBER) numbers.push(tokenizer.pending);
        return numbers;
      }
      i = stop;
    }
  }
  assert.fail('the list has no closing bracket');
}

for (const [name, create] of Object.entries(TOKENIZERS)) {
  test(`${name} tokenizer through the NumberTokenizer interface: the nodes array at every piece and window size`, () => {
    const text = bytes.toString('latin1');
    const start = text.indexOf('"nodes":[') + 9;
    const list = bytes.subarray(start, text.indexOf(']', start) + 1);
    const expected = JSON.parse(`[${list.toString('latin1')}`) as number[];
    // Byte by byte over a prefix (cut at a comma), and larger pieces over the whole array.
    const prefixEnd = list.indexOf(',', 16 * 1024);
    const prefix = Buffer.concat([list.subarray(0, prefixEnd), Buffer.from(']')]);
    const prefixExpected = JSON.parse(`[${prefix.toString('latin1')}`) as number[];
    for (const windowBytes of [undefined, 7, 1]) {
      assert.deepEqual(tokenizeAll(create(windowBytes), prefix, 1), prefixExpected, `pieces of 1 byte, window ${windowBytes ?? 'default'}`);
      for (const step of [13, 4096, list.length]) {
        assert.deepEqual(tokenizeAll(create(windowBytes), list, step), expected, `pieces of ${step} bytes, window ${windowBytes ?? 'default'}`);
      }
    }
  });
}
