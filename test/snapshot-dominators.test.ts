import { after, test } from 'node:test';
import { checkGraphCase, type GraphCase } from './helpers/dominator-cases';
import { makeTempDir } from './helpers/temp-dir';

/**
 * Dominators and retained sizes of small graph shapes worked out by hand (chains, diamonds,
 * cycles, several roots, the Lengauer-Tarjan paper's example); each case is checked against
 * DevTools and the engine (helpers/dominator-cases.ts). DevTools' search is
 * calculateDominatorsAndRetainedSizes (HeapSnapshot.ts): iterative Lengauer-Tarjan from the root.
 */
const tmp = makeTempDir('snapshot-dominators');
after(() => tmp.remove());

const CASES: GraphCase[] = [
  {
    name: 'chain: each node dominates the rest of the chain',
    nodes: [
      ['gc', 'synthetic', '(GC roots)', 0],
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
    ],
    edges: [
      ['root', 'gc', 'element', 1],
      ['gc', 'a', 'element', 0],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'd', 'property', 'next'],
    ],
    idom: { gc: 'root', a: 'gc', b: 'a', c: 'b', d: 'c' },
    retained: { root: 100, gc: 100, a: 100, b: 90, c: 70, d: 40 },
  },
  {
    name: 'diamond: the join is dominated by the fork',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
      ['e', 'object', 'E', 50],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'b', 'property', 'left'],
      ['a', 'c', 'property', 'right'],
      ['b', 'd', 'property', 'join'],
      ['c', 'd', 'property', 'join'],
      ['d', 'e', 'property', 'tail'],
    ],
    idom: { a: 'root', b: 'a', c: 'a', d: 'a', e: 'd' },
    retained: { root: 150, a: 150, b: 20, c: 30, d: 90, e: 50 },
  },
  {
    name: 'two roots: an object held from two root paths is dominated by the root',
    nodes: [
      ['gc', 'synthetic', '(GC roots)', 0],
      ['handles', 'synthetic', '(Global handles)', 0],
      ['p', 'object', 'P', 10],
      ['q', 'object', 'Q', 20],
      ['x', 'object', 'X', 30],
      ['y', 'object', 'Y', 40],
    ],
    edges: [
      ['root', 'gc', 'element', 1],
      ['root', 'handles', 'element', 2],
      ['gc', 'p', 'element', 0],
      ['handles', 'q', 'element', 0],
      ['p', 'x', 'property', 'shared'],
      ['q', 'x', 'property', 'shared'],
      ['x', 'y', 'property', 'own'],
    ],
    idom: { gc: 'root', handles: 'root', p: 'gc', q: 'handles', x: 'root', y: 'x' },
    retained: { root: 100, gc: 10, handles: 20, p: 10, q: 20, x: 70, y: 40 },
  },
  {
    name: 'cycle with one entry (and a self edge): the entry dominates the cycle',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
      ['d', 'object', 'D', 40],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'a', 'property', 'next'],
      ['c', 'c', 'property', 'self'],
      ['c', 'd', 'property', 'leaf'],
    ],
    idom: { a: 'root', b: 'a', c: 'b', d: 'c' },
    retained: { root: 100, a: 100, b: 90, c: 70, d: 40 },
  },
  {
    name: 'cycle with two entries: neither entry dominates the other',
    nodes: [
      ['a', 'object', 'A', 10],
      ['b', 'object', 'B', 20],
      ['c', 'object', 'C', 30],
    ],
    edges: [
      ['root', 'a', 'element', 1],
      ['root', 'c', 'element', 2],
      ['a', 'b', 'property', 'next'],
      ['b', 'c', 'property', 'next'],
      ['c', 'a', 'property', 'next'],
    ],
    idom: { a: 'root', b: 'a', c: 'root' },
    retained: { root: 60, a: 30, b: 20, c: 30 },
  },
  {
    // Lengauer & Tarjan, "A fast algorithm for finding dominators in a flowgraph" (TOPLAS 1979),
    // figure 1: the 13-vertex flowgraph R..L and its dominator tree. Sizes are powers of two so
    // every retained size is a distinct sum.
    name: 'Lengauer-Tarjan 1979 example flowgraph',
    nodes: [
      ['R', 'object', 'R', 4096],
      ['A', 'object', 'A', 1],
      ['B', 'object', 'B', 2],
      ['C', 'object', 'C', 4],
      ['D', 'object', 'D', 8],
      ['E', 'object', 'E', 16],
      ['F', 'object', 'F', 32],
      ['G', 'object', 'G', 64],
      ['H', 'object', 'H', 128],
      ['I', 'object', 'I', 256],
      ['J', 'object', 'J', 512],
      ['K', 'object', 'K', 1024],
      ['L', 'object', 'L', 2048],
    ],
    edges: [
      ['root', 'R', 'element', 1],
      ['R', 'A', 'property', 'a'],
      ['R', 'B', 'property', 'b'],
      ['R', 'C', 'property', 'c'],
      ['A', 'D', 'property', 'd'],
      ['B', 'A', 'property', 'a'],
      ['B', 'D', 'property', 'd'],
      ['B', 'E', 'property', 'e'],
      ['C', 'F', 'property', 'f'],
      ['C', 'G', 'property', 'g'],
      ['D', 'L', 'property', 'l'],
      ['E', 'H', 'property', 'h'],
      ['F', 'I', 'property', 'i'],
      ['G', 'I', 'property', 'i'],
      ['G', 'J', 'property', 'j'],
      ['H', 'E', 'property', 'e'],
      ['H', 'K', 'property', 'k'],
      ['I', 'K', 'property', 'k'],
      ['J', 'I', 'property', 'i'],
      ['K', 'I', 'property', 'i'],
      ['K', 'R', 'property', 'r'],
      ['L', 'H', 'property', 'h'],
    ],
    idom: { R: 'root', A: 'R', B: 'R', C: 'R', D: 'R', E: 'R', F: 'C', G: 'C', H: 'R', I: 'R', J: 'G', K: 'R', L: 'D' },
    retained: {
      root: 8191,
      R: 8191,
      A: 1,
      B: 2,
      C: 4 + 32 + 64 + 512,
      D: 8 + 2048,
      E: 16,
      F: 32,
      G: 64 + 512,
      H: 128,
      I: 256,
      J: 512,
      K: 1024,
      L: 2048,
    },
  },
];

for (const c of CASES) {
  test(`dominators: ${c.name}`, async () => {
    await checkGraphCase(c, tmp.dir);
  });
}
