import { typeIndexes, type HeapGraph } from '../heap-graph';

/**
 * BLeak's LeakShare (Vilk and Berger, PLDI 2018, section 4.3), which ranks leak roots by the
 * memory that only they keep alive, shared memory split among those that share it:
 *
 *   1. mark everything reachable from the GC roots without passing through any suspect;
 *   2. from each suspect, walk what is not marked and count, for each object, how many suspects
 *      reach it (K);
 *   3. a suspect's LeakShare is the sum of size / K over the objects it reaches in step 2.
 *
 * Unlike a retained size (dominator tree), memory held by two growing containers counts for
 * both, half each, instead of vanishing into their common dominator. `newShare` is the same sum
 * over objects allocated since the window began (node id above `newSinceId`: V8 ids increase),
 * the suspect's share of the growth. Edges as the dominator step sees them: `weak` edges do not
 * retain, and `shortcut` edges only from the synthetic root (V8's user-global links; elsewhere
 * they duplicate real paths). Each step is a breadth-first walk over typed arrays: 1 + 2 x
 * (suspects' exclusive regions) passes over edges, 13 bytes per node.
 */
export interface LeakShares {
  /** Per suspect, in the order given: LeakShare in bytes (V8 self sizes). */
  leakShare: Float64Array;
  /** The part of leakShare in objects newer than newSinceId. */
  newShare: Float64Array;
  /** Objects each suspect reaches in step 2. */
  objects: Uint32Array;
}

export function computeLeakShares(graph: HeapGraph, suspects: readonly number[], newSinceId: number): LeakShares {
  const { nodeCount, firstEdge, edgeType, edgeTarget, selfSize, nodeId } = graph;
  const t = typeIndexes(graph);
  const weak = t.weakEdge;
  const shortcut = t.shortcutEdge;
  const queue = new Uint32Array(nodeCount);
  // 1 reachable without suspects, 2 a suspect.
  const mark = new Uint8Array(nodeCount);
  for (const s of suspects) mark[s] = 2;
  let tail = 0;
  if (mark[0] === 0) {
    mark[0] = 1;
    queue[tail++] = 0;
  }
  for (let head = 0; head < tail; head++) {
    const node = queue[head];
    for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) {
      const type = edgeType[e];
      if (type === weak || (type === shortcut && node !== 0)) continue;
      const child = edgeTarget[e];
      if (mark[child] !== 0) continue;
      mark[child] = 1;
      queue[tail++] = child;
    }
  }
  // Steps 2 and 3 share one stamp array: 2j+1 while counting for suspect j, 2j+2 while summing.
  const stamp = new Uint32Array(nodeCount);
  const reachers = new Uint32Array(nodeCount);
  const walk = (from: number, value: number, visit: (node: number) => void): void => {
    let end = 0;
    stamp[from] = value;
    queue[end++] = from;
    for (let head = 0; head < end; head++) {
      const node = queue[head];
      visit(node);
      for (let e = firstEdge[node]; e < firstEdge[node + 1]; e++) {
        const type = edgeType[e];
        if (type === weak || type === shortcut) continue;
        const child = edgeTarget[e];
        if (mark[child] === 1 || stamp[child] === value) continue;
        stamp[child] = value;
        queue[end++] = child;
      }
    }
  };
  suspects.forEach((s, j) => walk(s, 2 * j + 1, (node) => reachers[node]++));
  const leakShare = new Float64Array(suspects.length);
  const newShare = new Float64Array(suspects.length);
  const objects = new Uint32Array(suspects.length);
  suspects.forEach((s, j) => {
    let share = 0;
    let fresh = 0;
    let count = 0;
    walk(s, 2 * j + 2, (node) => {
      const part = selfSize[node] / reachers[node];
      share += part;
      if (nodeId[node] > newSinceId) fresh += part;
      count++;
    });
    leakShare[j] = share;
    newShare[j] = fresh;
    objects[j] = count;
  });
  return { leakShare, newShare, objects };
}
