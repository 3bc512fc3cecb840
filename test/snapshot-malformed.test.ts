import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { ErrorCode } from '../src/shared/errors';
import { analyzeSnapshotFile } from '../src/snapshot/analyze-file';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { createSeededRandom } from '../support/seeded-random';
import { expectSnapshotError, assertOneLine } from './helpers/snapshot-errors';
import { baseObject, baseText, damaged, useCaseFiles } from './helpers/damaged-snapshot';
import { NODE_FIELDS, type TinySnapshotObject } from './helpers/tiny-snapshot';

/**
 * Malformed snapshot files: each kind of damage gives its LW_ERR_SNAPSHOT_* code with a one-line
 * message, never a crash, a hang or unbounded memory. Damage is applied to a small snapshot in
 * V8's layout (strings with escapes of every kind, edges of every type).
 */

const TRUNCATED_OR_SYNTAX: ErrorCode[] = ['LW_ERR_SNAPSHOT_TRUNCATED', 'LW_ERR_SNAPSHOT_SYNTAX'];
const F = NODE_FIELDS.length;

const cases = useCaseFiles('snapshot-malformed');

/** Checks one damaged text through both entry points: the text loader and the file analysis. */
async function expectBoth(what: string, codes: ErrorCode[], text: string | Buffer): Promise<void> {
  const asString = typeof text === 'string' ? text : text.toString('utf8');
  await expectSnapshotError(`${what} (text)`, codes, () => loadSnapshotText(asString));
  const file = cases.write(text);
  await expectSnapshotError(`${what} (file)`, codes, () => analyzeSnapshotFile(file));
}

test('the undamaged base snapshot loads (so every failure below is the damage)', async () => {
  const object = baseObject();
  for (const rawUtf8 of [false, true]) {
    const text = baseText({ rawUtf8 });
    const graph = loadSnapshotText(text);
    assert.equal(graph.nodeCount, object.snapshot.node_count);
    assert.equal(graph.edgeCount, object.snapshot.edge_count);
    assert.equal(graph.strings.get(object.nodes[3 * F + 1]), object.strings[object.nodes[3 * F + 1]], 'escaped names decode');
    const analysis = await analyzeSnapshotFile(cases.write(text));
    assert.equal(analysis.nodeCount, object.snapshot.node_count);
    assert.equal(analysis.edgeCount, object.snapshot.edge_count);
    assert.equal(analysis.stringCount, object.strings.length);
  }
  // Every string of the table decodes to what was written, escapes included.
  const graph = loadSnapshotText(baseText());
  for (let i = 0; i < object.strings.length; i++) assert.equal(graph.strings.get(i), object.strings[i], `string ${i}`);
});

test('truncated at 50+ offsets (meta, nodes, edges, strings, inside escapes): TRUNCATED or SYNTAX', async () => {
  const text = baseText();
  const bytes = Buffer.from(text, 'utf8');
  assert.equal(bytes.length, text.length, 'the V8 layout is pure ASCII');
  const at = (needle: string, from = 0, delta = 0): number => {
    const i = text.indexOf(needle, from);
    assert.ok(i >= 0, `base text contains ${needle}`);
    return i + delta;
  };
  const nodesAt = at('"nodes"');
  const edgesAt = at('"edges"');
  const stringsAt = at('"strings"');
  const named: Array<[string, number]> = [
    ['empty file', 0],
    ['after the first brace', 1],
    ['inside "snapshot" key', 5],
    ['inside node_fields', at('"node_fields"', 0, 8)],
    ['inside node_types', at('"concatenated string"', 0, 6)],
    ['inside edge_types', at('"shortcut"', 0, 3)],
    ['after meta', at('"node_count"')],
    ['inside node_count digits', at('"node_count":', 0, 14)],
    ['right after the snapshot header', nodesAt - 1],
    ['at "nodes":[', nodesAt + 9],
    ['middle of a node number', at('\n,', nodesAt, 4)],
    ['right after a comma in nodes', at('\n,', nodesAt, 2)],
    ['just before the nodes close', edgesAt - 4],
    ['at "edges":[', edgesAt + 9],
    ['middle of edges', Math.floor((edgesAt + stringsAt) / 2)],
    ['just before the edges close', at('"trace_function_infos"') - 4],
    ['inside locations', at('"locations"', 0, 5)],
    ['at "strings":[', stringsAt + 11],
    ['inside <dummy>', stringsAt + 14],
    ['after \\ of an escaped quote', at('\\"', stringsAt, 1)],
    ['inside a \\u escape', at('\\u00E9', stringsAt, 3)],
    ['after \\u of an escape', at('\\u2603', stringsAt, 2)],
    ['between the halves of a surrogate pair', at('\\uDE00', stringsAt)],
    ['inside the second half of a surrogate pair', at('\\uDE00', stringsAt, 4)],
    ['after \\ of \\n', at('\\n', stringsAt, 1)],
    ['after an opening quote', at('"plain"', stringsAt, 1)],
    ['after a closing quote', at('"plain"', stringsAt, 7)],
    ['before the final ]}', bytes.length - 2],
    ['before the final }', bytes.length - 1],
  ];
  const random = createSeededRandom(20240611);
  const offsets = [...named];
  while (offsets.length < 60) {
    const offset = Math.floor(random() * bytes.length);
    offsets.push([`random offset ${offset}`, offset]);
  }
  const seenCodes = new Set<string>();
  for (const [what, offset] of offsets) {
    assert.ok(offset >= 0 && offset < bytes.length, `${what}: ${offset} is inside the file`);
    const cut = bytes.subarray(0, offset);
    const error = await expectSnapshotError(`truncated ${what} at ${offset} (file)`, TRUNCATED_OR_SYNTAX, () => analyzeSnapshotFile(cases.write(cut)));
    seenCodes.add(error.code);
    await expectSnapshotError(`truncated ${what} at ${offset} (text)`, TRUNCATED_OR_SYNTAX, () => loadSnapshotText(cut.toString('latin1')));
  }
  assert.ok(seenCodes.has('LW_ERR_SNAPSHOT_TRUNCATED'), 'a file that simply ends early is reported as truncated');
});

test('truncated inside a multi-byte UTF-8 character: TRUNCATED or SYNTAX', async () => {
  const text = baseText({ rawUtf8: true });
  const bytes = Buffer.from(text, 'utf8');
  for (const ch of ['\u00e9', '\u2603', '\u{1F600}']) {
    const start = bytes.indexOf(Buffer.from(ch, 'utf8'), bytes.indexOf('"strings"'));
    assert.ok(start > 0, `raw ${ch} present`);
    for (let k = 1; k < Buffer.byteLength(ch); k++) {
      await expectSnapshotError(`cut ${k} bytes into ${JSON.stringify(ch)}`, TRUNCATED_OR_SYNTAX, () => analyzeSnapshotFile(cases.write(bytes.subarray(0, start + k))));
    }
  }
});

test('node_count or edge_count that disagree with the arrays: COUNTS', async () => {
  const COUNTS: ErrorCode[] = ['LW_ERR_SNAPSHOT_COUNTS'];
  await expectBoth('node_count + 1', COUNTS, damaged((s) => (s.snapshot.node_count += 1)));
  await expectBoth('node_count - 1', COUNTS, damaged((s) => (s.snapshot.node_count -= 1)));
  await expectBoth('node_count 0', COUNTS, damaged((s) => (s.snapshot.node_count = 0)));
  await expectBoth('edge_count + 1', COUNTS, damaged((s) => (s.snapshot.edge_count += 1)));
  await expectBoth('edge_count - 1', COUNTS, damaged((s) => (s.snapshot.edge_count -= 1)));
  // The per-node edge_count fields must add up to the edges array.
  await expectBoth('a node claims one edge more', COUNTS, damaged((s) => (s.nodes[2 * F + 4] += 1)));
  await expectBoth('a node claims one edge fewer', COUNTS, damaged((s) => (s.nodes[2 * F + 4] -= 1)));
  // Arrays that do not hold whole records.
  await expectBoth('one number too many in nodes', COUNTS, damaged((s) => s.nodes.push(0)));
  await expectBoth('one number missing in edges', COUNTS, damaged((s) => s.edges.pop()));
});

test('edge targets out of range or not on a node boundary, string indexes out of range: INDEX', async () => {
  const INDEX: ErrorCode[] = ['LW_ERR_SNAPSHOT_INDEX'];
  const object = baseObject();
  const nodeCount = object.snapshot.node_count;
  const stringCount = object.strings.length;
  await expectBoth('to_node one node past the end', INDEX, damaged((s) => (s.edges[5] = nodeCount * F)));
  await expectBoth('to_node far past the end', INDEX, damaged((s) => (s.edges[s.edges.length - 1] = 2 ** 32 - 7)));
  await expectBoth('to_node not a multiple of the node field count', INDEX, damaged((s) => (s.edges[5] = F + 1)));
  await expectBoth('node name index = string count', INDEX, damaged((s) => (s.nodes[2 * F + 1] = stringCount)));
  await expectBoth('node name index far out', INDEX, damaged((s) => (s.nodes[F + 1] = 4_000_000_000)));
  // Edge 2 is a property edge: its name_or_index is a string index.
  await expectBoth('property edge name index = string count', INDEX, damaged((s) => {
    const e = findEdge(s, 'property');
    s.edges[e + 1] = stringCount;
  }));
  await expectBoth('node type beyond node_types', INDEX, damaged((s) => (s.nodes[2 * F] = 16)));
  await expectBoth('edge type beyond edge_types', INDEX, damaged((s) => (s.edges[0] = 7)));
});

function findEdge(s: TinySnapshotObject, type: string): number {
  const types = (s.snapshot.meta.edge_types as string[][])[0];
  for (let e = 0; e < s.edges.length; e += 3) if (types[s.edges[e]] === type) return e;
  throw new Error(`no ${type} edge`);
}

test('missing or unusable meta: META', async () => {
  const META: ErrorCode[] = ['LW_ERR_SNAPSHOT_META'];
  const withoutField = (key: 'node_fields' | 'edge_fields', field: string) => (s: TinySnapshotObject) => {
    s.snapshot.meta[key] = (s.snapshot.meta[key] as string[]).filter((f) => f !== field);
  };
  await expectBoth('node_fields without self_size', META, damaged(withoutField('node_fields', 'self_size')));
  await expectBoth('node_fields without edge_count', META, damaged(withoutField('node_fields', 'edge_count')));
  await expectBoth('node_fields without type', META, damaged(withoutField('node_fields', 'type')));
  await expectBoth('edge_fields without to_node', META, damaged(withoutField('edge_fields', 'to_node')));
  await expectBoth('node_fields not an array', META, damaged((s) => (s.snapshot.meta.node_fields = 'type,name,id,self_size,edge_count')));
  await expectBoth('node_types not an array', META, damaged((s) => (s.snapshot.meta.node_types = 'hidden')));
  await expectBoth('node_types[0] not an array', META, damaged((s) => ((s.snapshot.meta.node_types as unknown[])[0] = 'hidden')));
  await expectBoth('edge_types not an array', META, damaged((s) => (s.snapshot.meta.edge_types = {})));
  await expectBoth('no meta', META, damaged((s) => delete (s.snapshot as Partial<TinySnapshotObject['snapshot']>).meta));
  await expectBoth('no snapshot header', META, '{"nodes":[9,1,1,0,0,0,0],"edges":[],"strings":["<dummy>",""]}');
});

test('invalid JSON: SYNTAX', async () => {
  const SYNTAX: ErrorCode[] = ['LW_ERR_SNAPSHOT_SYNTAX'];
  const text = baseText();
  const replaceOnce = (needle: string, replacement: string): string => {
    const i = text.indexOf(needle);
    assert.ok(i >= 0, `base text contains ${needle}`);
    return text.slice(0, i) + replacement + text.slice(i + needle.length);
  };
  // docs/snapshot-analysis.md: an empty array element ("1,,2") and digits split by whitespace
  // ("1 2") are left to the later checks rather than the tokenizer, so for those the code is
  // whichever inconsistency they cause first; but invalid JSON must never load.
  const LATER_CHECKS: ErrorCode[] = ['LW_ERR_SNAPSHOT_SYNTAX', 'LW_ERR_SNAPSHOT_COUNTS', 'LW_ERR_SNAPSHOT_INDEX'];
  const cases: Array<[string, ErrorCode[], string]> = [
    ['a letter among node numbers', SYNTAX, replaceOnce('"nodes":[9,', '"nodes":[9,x')],
    ['two commas in nodes', LATER_CHECKS, replaceOnce('"nodes":[9,', '"nodes":[9,,')],
    ['a comma before the first number', LATER_CHECKS, replaceOnce('"edges":[', '"edges":[,')],
    // The next three keep the count of numbers right, so the later checks cannot see them.
    ['an empty value where a 0 was (",,")', LATER_CHECKS, replaceOnce(',0,0\n', ',,0\n')],
    ['a number split by a space', LATER_CHECKS, splitFirstNumber(text, ' ')],
    ['a number split by a newline', LATER_CHECKS, splitFirstNumber(text, '\n')],
    ['a number with a leading zero', SYNTAX, replaceOnce('\n,3,', '\n,03,')],
    ['a negative number', SYNTAX, replaceOnce('\n,3,', '\n,-3,')],
    ['a fraction', SYNTAX, replaceOnce('\n,3,', '\n,3.5,')],
    ['an exponent', SYNTAX, replaceOnce('\n,3,', '\n,3e0,')],
    ['NaN in edges', SYNTAX, replaceOnce('"edges":[', '"edges":[NaN,')],
    ['a trailing comma in edges', SYNTAX, replaceOnce('\n],\n"trace_function_infos"', ',\n],\n"trace_function_infos"')],
    ['a bad escape in a string', SYNTAX, replaceOnce('"<dummy>"', '"<du\\qmy>"')],
    ['a bad \\u escape in a string', SYNTAX, replaceOnce('"<dummy>"', '"<du\\u12G4my>"')],
    ['two strings without a comma', SYNTAX, replaceOnce('"<dummy>",', '"<dummy>" ')],
    ['the top object closed with ]', SYNTAX, `${text.slice(0, -1)}]`],
    ['not JSON at all', SYNTAX, 'this is not a heap snapshot\n'],
    ['a JSON array instead of an object', SYNTAX, '[1,2,3]'],
    ['garbage after the final brace', SYNTAX, `${text}xyz`],
  ];
  // Every case is tried and every wrong outcome listed, so one run shows them all.
  const wrong: string[] = [];
  for (const [what, codes, damagedText] of cases) {
    assert.notEqual(damagedText, text, `${what}: the damage applies`);
    try {
      await expectBoth(what, codes, damagedText);
    } catch (err) {
      wrong.push((err as Error).message);
    }
  }
  assert.deepEqual(wrong, []);
});

/** Puts `gap` between the digits of the first multi-digit number of the edges array. */
function splitFirstNumber(text: string, gap: string): string {
  const from = text.indexOf('"edges":[');
  const match = /,(\d)(\d+),/.exec(text.slice(from));
  assert.ok(match, 'a multi-digit number in edges');
  const at = from + match.index;
  return `${text.slice(0, at)},${match[1]}${gap}${match[2]},${text.slice(at + match[0].length)}`;
}

test('trailing whitespace after the final brace is fine', async () => {
  const analysis = await analyzeSnapshotFile(cases.write(`${baseText()}\n  \n`));
  assert.equal(analysis.nodeCount, baseObject().snapshot.node_count);
});

test('a file that is not there, or is a directory: IO', async () => {
  await expectSnapshotError('missing file', ['LW_ERR_SNAPSHOT_IO'], () => analyzeSnapshotFile(path.join(cases.dir, 'does-not-exist.heapsnapshot')));
  await expectSnapshotError('a directory', ['LW_ERR_SNAPSHOT_IO'], () => analyzeSnapshotFile(cases.dir));
});
