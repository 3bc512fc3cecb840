import type { SnapshotTypeRow } from '../shared/snapshot-data';
import type { Dominators } from './dominators';
import type { HeapGraph } from './heap-graph';
import { classifyNodes } from './type-names';

/** Marks a node with a self size of 0 in `classOf` (DevTools does not count those). */
const EMPTY_NODE = 0x8000_0000;

/** Class of every node plus the per-class count and self size: everything that needs self sizes. */
export interface TypeTotals {
  names: string[];
  /** Class id per node; EMPTY_NODE is or-ed in for nodes with a self size of 0. */
  classOf: Uint32Array;
  count: Float64Array;
  selfSize: Float64Array;
}

/**
 * Per-type count and self size, as DevTools' Summary view computes them (HeapSnapshot.buildAggregates):
 * nodes with a self size of 0 (V8's synthetic grouping nodes such as "(GC roots)") are not counted.
 * `into` (nodeCount entries) receives the class ids; the analysis passes graph.nodeName, which is
 * not needed once the names are resolved (graph-handover.ts, takeNodeNamesAsClassIds).
 */
export function typeTotals(graph: HeapGraph, into?: Uint32Array): TypeTotals {
  const { classOf, names } = classifyNodes(graph, into);
  const count = new Float64Array(names.length);
  const self = new Float64Array(names.length);
  const selfSize = graph.selfSize;
  for (let i = 0; i < graph.nodeCount; i++) {
    const size = selfSize[i];
    if (size === 0) {
      classOf[i] |= EMPTY_NODE;
      continue;
    }
    count[classOf[i]]++;
    self[classOf[i]] += size;
  }
  return { names, classOf, count, selfSize: self };
}

/**
 * Per-type retained size (HeapSnapshot.calculateClassesRetainedSize): the sum of the retained
 * sizes of a type's objects that have no object of the same type above them in the dominator
 * tree, so a tree of `TreeNode`s counts once, at its top, instead of once per level. Rows come
 * back sorted by retained size, largest first (ties by name).
 */
export function typeRows(totals: TypeTotals, dominators: Pick<Dominators, 'idom' | 'retainedSize'> & Partial<Pick<Dominators, 'spare'>>): SnapshotTypeRow[] {
  const { names, classOf } = totals;
  const nodeCount = classOf.length;
  const { idom, retainedSize } = dominators;
  const retained = new Float64Array(names.length);
  const spare = (dominators.spare ?? []).filter((a) => a.length >= nodeCount + 1);

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
    if ((c & EMPTY_NODE) === 0 && above[c] === 0) {
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
    if (totals.count[c] === 0) continue;
    rows.push({ type: names[c], count: totals.count[c], selfSize: totals.selfSize[c], retainedSize: retained[c] });
  }
  rows.sort((a, b) => b.retainedSize - a.retainedSize || (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));
  return rows;
}

/**
 * Per-type count, self size and retained size of an analysed graph (self sizes still intact):
 * typeTotals + typeRows in one call.
 */
export function aggregateTypes(graph: HeapGraph, dominators: Pick<Dominators, 'idom' | 'retainedSize'> & Partial<Pick<Dominators, 'spare'>>): SnapshotTypeRow[] {
  const spare = (dominators.spare ?? []).filter((a) => a.length >= graph.nodeCount + 1);
  const totals = typeTotals(graph, spare.pop());
  return typeRows(totals, { idom: dominators.idom, retainedSize: dominators.retainedSize, spare });
}
