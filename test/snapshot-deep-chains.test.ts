import { test } from 'node:test';
import { computeDominators } from '../src/snapshot/dominators';
import { loadSnapshotText } from '../src/snapshot/load-snapshot';
import { analyzeWithDevTools } from './helpers/devtools-reference';
import { assertSameArray } from './helpers/dominator-cases';
import { buildLabelledGraph, type EdgeSpec, type LabelledGraph, type NodeSpec } from './helpers/labelled-graph';

/**
 * Long chains: the depth-first search and the path compression of Lengauer-Tarjan must be
 * iterative (a chain of a million objects must not overflow the stack), checked against DevTools
 * and the engine on every node.
 */

const DEEP = 200_000;

/** root -> n1 -> n2 -> ... -> nDEEP, node i of size i % 7 + 1 (ordinal i). */
function deepChain(skipEdges: boolean): LabelledGraph {
  const nodes: NodeSpec[] = [];
  const edges: EdgeSpec[] = [['root', 'n1', 'element', 1]];
  for (let i = 1; i <= DEEP; i++) {
    nodes.push([`n${i}`, 'object', 'Link', (i % 7) + 1]);
    if (i < DEEP) edges.push([`n${i}`, `n${i + 1}`, 'property', 'next']);
    if (skipEdges && i + 2 <= DEEP) edges.push([`n${i}`, `n${i + 2}`, 'property', 'skip']);
  }
  return buildLabelledGraph(nodes, edges);
}

test(`dominators: a chain of ${DEEP} nodes (deep DFS and path compression must be iterative)`, async () => {
  const graph = deepChain(false);
  const json = graph.snapshot.toJson();
  // Node i (ordinal i) is dominated by node i-1; it retains the rest of the chain.
  const idom = new Uint32Array(DEEP + 1);
  const retained = new Float64Array(DEEP + 1);
  for (let i = DEEP; i >= 1; i--) {
    idom[i] = i - 1;
    retained[i] = (i % 7) + 1 + (i < DEEP ? retained[i + 1] : 0);
  }
  retained[0] = retained[1];
  const devtools = await analyzeWithDevTools({ text: json });
  assertSameArray(devtools.idom, idom, 'DevTools dominators');
  assertSameArray(devtools.retainedSize, retained, 'DevTools retained sizes');
  const dominators = computeDominators(loadSnapshotText(json));
  assertSameArray(dominators.idom, idom, 'engine dominators');
  assertSameArray(dominators.retainedSize, retained, 'engine retained sizes');
});

test(`dominators: a chain of ${DEEP} nodes with skip edges (every node is dominated by the first)`, async () => {
  const graph = deepChain(true);
  const json = graph.snapshot.toJson();
  // n(i) is reached from n(i-1) or n(i-2), so no node but n1 is on every path to another.
  const idom = new Uint32Array(DEEP + 1);
  const retained = new Float64Array(DEEP + 1);
  let total = 0;
  for (let i = 1; i <= DEEP; i++) {
    idom[i] = i === 1 ? 0 : 1;
    retained[i] = (i % 7) + 1;
    total += retained[i];
  }
  retained[0] = retained[1] = total;
  const devtools = await analyzeWithDevTools({ text: json });
  assertSameArray(devtools.idom, idom, 'DevTools dominators');
  assertSameArray(devtools.retainedSize, retained, 'DevTools retained sizes');
  const dominators = computeDominators(loadSnapshotText(json));
  assertSameArray(dominators.idom, idom, 'engine dominators');
  assertSameArray(dominators.retainedSize, retained, 'engine retained sizes');
});
