/**
 * Per-type totals from a finished dominator tree, for engines that stop at retained sizes (memlab):
 * the same "Constructor view" work DevTools' calculateClassesRetainedSize does and our engine's
 * aggregateTypes does, so the benchmark compares like with like.
 *
 * A type's retained size sums the retained sizes of its objects that have no ancestor of the same
 * type in the dominator tree (nested objects are already inside their ancestor's figure). Walks the
 * tree depth first with an explicit stack: chains 100k+ deep would overflow recursion.
 */

export interface DominatorTreeInput {
  nodeCount: number;
  root: number;
  /** Immediate dominator per node ordinal; idom[root] === root; unreachable nodes are skipped. */
  idom: Uint32Array;
  /** Whether idom[i] is meaningful (reachable node). */
  reachable: (ordinal: number) => boolean;
  /** Type index per node ordinal into `typeNames`. */
  typeOf: Uint32Array;
  typeNames: readonly string[];
  selfSize: (ordinal: number) => number;
  retainedSize: (ordinal: number) => number;
}

export interface TypeTotal {
  type: string;
  count: number;
  selfSize: number;
  retainedSize: number;
}

export function aggregateByDominatorTree(input: DominatorTreeInput): TypeTotal[] {
  const { nodeCount, root, idom, typeOf, typeNames } = input;
  const typeCount = typeNames.length;
  const count = new Float64Array(typeCount);
  const self = new Float64Array(typeCount);
  const retained = new Float64Array(typeCount);

  // Children lists of the dominator tree in compressed-sparse-row form.
  const firstChild = new Uint32Array(nodeCount + 1);
  for (let i = 0; i < nodeCount; i++) {
    if (i !== root && input.reachable(i)) firstChild[idom[i]! + 1]!++;
  }
  for (let i = 0; i < nodeCount; i++) firstChild[i + 1]! += firstChild[i]!;
  const fill = firstChild.slice(0, nodeCount);
  const children = new Uint32Array(firstChild[nodeCount]!);
  for (let i = 0; i < nodeCount; i++) {
    if (i !== root && input.reachable(i)) children[fill[idom[i]!]!++] = i;
  }

  for (let i = 0; i < nodeCount; i++) {
    if (i !== root && !input.reachable(i)) continue;
    const size = input.selfSize(i);
    const type = typeOf[i]!;
    count[type]!++;
    self[type]! += size;
  }

  // Depth-first: `open` counts how many ancestors on the current path have each type; a node
  // adds its retained size only when no ancestor has its type. The children of the path node at
  // depth d sit at stack positions >= exitAt[d], so popping below that closes it.
  const open = new Uint32Array(typeCount);
  const stack = new Uint32Array(nodeCount + 1);
  const pathNode = new Uint32Array(nodeCount + 1);
  const exitAt = new Uint32Array(nodeCount + 1);
  let top = 0;
  let depth = 0;
  stack[top++] = root;
  while (top > 0) {
    const node = stack[--top]!;
    while (depth > 0 && top < exitAt[depth - 1]!) {
      depth--;
      open[typeOf[pathNode[depth]!]!]!--;
    }
    const type = typeOf[node]!;
    if (open[type] === 0 && node !== root) retained[type]! += input.retainedSize(node);
    const from = firstChild[node]!;
    const to = firstChild[node + 1]!;
    if (from === to) continue;
    pathNode[depth] = node;
    exitAt[depth] = top;
    depth++;
    open[type]!++;
    for (let c = from; c < to; c++) stack[top++] = children[c]!;
  }

  const rows: TypeTotal[] = [];
  for (let t = 0; t < typeCount; t++) {
    if (count[t]! > 0) rows.push({ type: typeNames[t]!, count: count[t]!, selfSize: self[t]!, retainedSize: retained[t]! });
  }
  return rows.sort((a, b) => b.retainedSize - a.retainedSize);
}
