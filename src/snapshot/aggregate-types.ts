import type { SnapshotTypeRow } from '../shared/snapshot-types';
import type { Dominators } from './dominators';
import type { HeapGraph } from './heap-graph';
import { classifyNodes } from './type-names';

/**
 * Per-type count, self size and retained size, as DevTools' Summary view computes them
 * (HeapSnapshot.buildAggregates and calculateClassesRetainedSize):
 * - nodes with a self size of 0 (V8's synthetic grouping nodes such as "(GC roots)") are not
 *   counted;
 * - a type's retained size is the sum of the retained sizes of its objects that have no object
 *   of the same type above them in the dominator tree: a tree of `TreeNode`s counts once, at its
 *   top, instead of once per level.
 * Rows come back sorted by retained size, largest first (ties by name).
 */
export function aggregateTypes(graph: HeapGraph, dominators: Pick<Dominators, 'idom' | 'retainedSize'> & Partial<Pick<Dominators, 'spare'>>): SnapshotTypeRow[] {
  const spare = (dominators.spare ?? []).filter((a) => a.length >= graph.nodeCount + 1);
  const { classOf, names } = classifyNodes(graph, spare.pop());
  const nodeCount = graph.nodeCount;
  const selfSize = graph.selfSize;
  const { idom, retainedSize } = dominators;
  const count = new Float64Array(names.length);
  const self = new Float64Array(names.length);
  const retained = new Float64Array(names.length);
  for (let i = 0; i < nodeCount; i++) {
    const size = selfSize[i];
    if (size === 0) continue;
    count[classOf[i]]++;
    self[classOf[i]] += size;
  }

  // Children lists of the dominator tree (compressed sparse rows, by counting sort on idom).
  const childFirst = spare.length > 0 ? spare.pop()!.fill(0) : new Uint32Array(nodeCount + 1);
  for (let i = 1; i < nodeCount; i++) childFirst[idom[i]]++;
  for (let i = 0, sum = 0; i < nodeCount; i++) {
    sum += childFirst[i];
    childFirst[i] = sum;
  }
  childFirst[nodeCount] = nodeCount - 1;
  const children = spare.length > 0 ? spare.pop()! : new Uint32Array(Math.max(0, nodeCount - 1));
  for (let i = nodeCount - 1; i >= 1; i--) children[--childFirst[idom[i]]] = i;

  // Depth-first walk of the dominator tree keeping "a node of this class is above us" flags.
  // A stack entry >= nodeCount is an exit marker clearing the flag of class (entry - nodeCount).
  const above = new Uint8Array(names.length);
  let stack = new Uint32Array(Math.min(nodeCount, 1 << 16) + 1);
  let top = 0;
  stack[top++] = 0;
  while (top > 0) {
    const entry = stack[--top];
    if (entry >= nodeCount) {
      above[entry - nodeCount] = 0;
      continue;
    }
    const c = classOf[entry];
    const from = childFirst[entry];
    const to = childFirst[entry + 1];
    const need = top + (to - from) + 1;
    if (need > stack.length) {
      const grown = new Uint32Array(Math.max(need, stack.length * 2));
      grown.set(stack.subarray(0, top));
      stack = grown;
    }
    if (above[c] === 0 && selfSize[entry] !== 0) {
      retained[c] += retainedSize[entry];
      if (from !== to) {
        above[c] = 1;
        stack[top++] = nodeCount + c;
      }
    }
    for (let k = from; k < to; k++) stack[top++] = children[k];
  }

  const rows: SnapshotTypeRow[] = [];
  for (let c = 0; c < names.length; c++) {
    if (count[c] === 0) continue;
    rows.push({ type: names[c], count: count[c], selfSize: self[c], retainedSize: retained[c] });
  }
  rows.sort((a, b) => b.retainedSize - a.retainedSize || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return rows;
}
