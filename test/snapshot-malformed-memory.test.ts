import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCappedNode } from './helpers/capped-child';
import { damaged, useCaseFiles } from './helpers/damaged-snapshot';
import { assertOneLine } from './helpers/snapshot-errors';
import { createTinySnapshot, serializeV8Layout, v8StringLiteral, type TinySnapshotObject } from './helpers/tiny-snapshot';

/**
 * Malformed snapshot files at the limits: each case runs in a child with a small V8 heap and a
 * capped address space, and must fail (or load) with its documented code in bounded memory.
 */

const CHILD = path.join(__dirname, 'fixtures', 'analyze-snapshot-child.js');

const cases = useCaseFiles('snapshot-malformed-memory');

/** Memory caps for the limit tests: a 96 MB V8 heap and ~1 GB of address space above Node's own. */
const CAPS = { maxOldSpaceMb: 96, virtualMemoryKb: 1_900_000 };
/** Peak resident memory a bounded load may reach (Node itself starts at ~45 MB). */
const PEAK_RSS_LIMIT = 200 * 1024 * 1024;

interface ChildOutcome {
  ok: boolean;
  code?: string;
  message?: string;
  nodeCount?: number;
  peakRss: number;
}

async function analyzeInCappedChild(file: string): Promise<ChildOutcome> {
  const result = await runCappedNode(CHILD, [file], CAPS);
  const line = result.stdout.trim().split('\n').pop() ?? '';
  assert.ok(result.code === 0 && line.startsWith('{'), `the child finished cleanly (exit ${result.code}, signal ${result.signal}); stderr: ${result.stderr.slice(-2000)}`);
  return JSON.parse(line) as ChildOutcome;
}

test('a header claiming 2^31 nodes on a tiny file fails fast, without allocating for them', async () => {
  // Documented (snapshot-meta.ts): counts that a file of this size cannot hold are TRUNCATED
  // (the file was cut short, or the counts are wrong) before anything is allocated; counts beyond
  // 2^32 - 2 are META.
  for (const [what, code, mutate] of [
    ['node_count 2^31', 'LW_ERR_SNAPSHOT_TRUNCATED', (s: TinySnapshotObject) => (s.snapshot.node_count = 2 ** 31)],
    ['edge_count 2^31', 'LW_ERR_SNAPSHOT_TRUNCATED', (s: TinySnapshotObject) => (s.snapshot.edge_count = 2 ** 31)],
    ['node_count 30 million', 'LW_ERR_SNAPSHOT_TRUNCATED', (s: TinySnapshotObject) => (s.snapshot.node_count = 30_000_000)],
    ['node_count 2^53', 'LW_ERR_SNAPSHOT_META', (s: TinySnapshotObject) => (s.snapshot.node_count = 2 ** 53)],
  ] as const) {
    const file = cases.write(damaged(mutate));
    assert.ok(fs.statSync(file).size < 100_000, 'the file really is tiny');
    const outcome = await analyzeInCappedChild(file);
    assert.equal(outcome.ok, false, `${what}: rejected`);
    assert.equal(outcome.code, code, `${what}: ${outcome.message}`);
    assertOneLine(what, outcome.message!);
    assert.ok(outcome.peakRss < PEAK_RSS_LIMIT, `${what}: peak RSS ${outcome.peakRss} stays under ${PEAK_RSS_LIMIT}`);
  }
});

/**
 * Streams a valid snapshot whose node 1 (of `nodeType`) is named by a string of `length` 'a's
 * (with no closing quote if `unterminated`).
 */
async function writeHugeStringSnapshot(length: number, unterminated: boolean, nodeType: 'string' | 'object' = 'string'): Promise<string> {
  const s = createTinySnapshot();
  const big = s.node(nodeType, 'PLACEHOLDER', 32);
  s.edge(s.root, big, 'element', 0);
  const object = s.toObject();
  const text = serializeV8Layout(object);
  const marker = v8StringLiteral('PLACEHOLDER');
  const at = text.lastIndexOf(marker);
  assert.ok(at > text.indexOf('"strings"'));
  const file = cases.next('huge');
  const out = fs.createWriteStream(file);
  // events.once rejects if the stream errors while we wait for it to drain.
  const write = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  await write(text.slice(0, at) + '"');
  const chunk = 'a'.repeat(1 << 20);
  let left = length;
  while (left > 0) {
    await write(left >= chunk.length ? chunk : chunk.slice(0, left));
    left -= chunk.length;
  }
  if (!unterminated) await write(`"${text.slice(at + marker.length)}`);
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return file;
}

for (const nodeType of ['string', 'object'] as const) {
  // As a string node's value the analysis never needs the text; as an object's name it is the
  // type name the analysis reports.
  test(`a 300 MB string naming a${nodeType === 'object' ? 'n object' : ' string'} node: loads or fails with the documented code, in bounded memory`, async () => {
    const file = await writeHugeStringSnapshot(300 * 1024 * 1024, false, nodeType);
    try {
      const outcome = await analyzeInCappedChild(file);
      if (outcome.ok) assert.equal(outcome.nodeCount, 2, 'the graph is intact');
      else {
        // Documented (snapshot-parser.ts): STRING for a string longer than V8 can write.
        assert.equal(outcome.code, 'LW_ERR_SNAPSHOT_STRING', `${outcome.code}: ${outcome.message}`);
        assertOneLine('huge string', outcome.message!);
      }
      assert.ok(outcome.peakRss < PEAK_RSS_LIMIT, `peak RSS ${outcome.peakRss} stays under ${PEAK_RSS_LIMIT}`);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });
}

test('a string that never closes (50 MB to the end of the file): TRUNCATED in bounded memory', async () => {
  const file = await writeHugeStringSnapshot(50 * 1024 * 1024, true);
  try {
    const outcome = await analyzeInCappedChild(file);
    assert.equal(outcome.ok, false, 'rejected');
    assert.equal(outcome.code, 'LW_ERR_SNAPSHOT_TRUNCATED', `${outcome.code}: ${outcome.message}`);
    assertOneLine('unterminated string', outcome.message!);
    assert.ok(outcome.peakRss < PEAK_RSS_LIMIT, `peak RSS ${outcome.peakRss} stays under ${PEAK_RSS_LIMIT}`);
  } finally {
    fs.rmSync(file, { force: true });
  }
});
