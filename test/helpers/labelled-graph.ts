import { createTinySnapshot, type TinyEdgeType, type TinyNodeType, type TinySnapshot } from './tiny-snapshot';

/** A node of a hand-written graph: label, V8 node type, name, self size. */
export type NodeSpec = [label: string, type: TinyNodeType, name: string, selfSize: number];
/** An edge of a hand-written graph: from label, to label, edge type, optional name or index. */
export type EdgeSpec = [from: string, to: string, type: TinyEdgeType, nameOrIndex?: string | number];

export interface LabelledGraph {
  snapshot: TinySnapshot;
  /** Ordinal of each label; `root` is the synthetic root, ordinal 0. */
  ordinal: Map<string, number>;
  /** Label of each ordinal. */
  label: string[];
}

/** Builds a tiny snapshot from labelled nodes and edges, so expectations can name nodes. */
export function buildLabelledGraph(nodes: NodeSpec[], edges: EdgeSpec[]): LabelledGraph {
  const snapshot = createTinySnapshot();
  const ordinal = new Map<string, number>([['root', snapshot.root]]);
  const label = ['root'];
  for (const [name, type, nodeName, selfSize] of nodes) {
    if (ordinal.has(name)) throw new Error(`duplicate label ${name}`);
    ordinal.set(name, snapshot.node(type, nodeName, selfSize));
    label.push(name);
  }
  const at = (name: string): number => {
    const n = ordinal.get(name);
    if (n === undefined) throw new Error(`no node labelled ${name}`);
    return n;
  };
  for (const [from, to, type, nameOrIndex] of edges) snapshot.edge(at(from), at(to), type, nameOrIndex);
  return { snapshot, ordinal, label };
}
