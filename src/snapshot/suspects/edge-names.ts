import type { StringTable } from '../string-table';

/**
 * Recognises a few edge and node names ("table", "_events", "system / Context"...) by string
 * index. V8's serializer interns every string once, but the index of a name differs per snapshot
 * and the string table has no reverse lookup, so each string index is decoded at most once and
 * its verdict remembered in one byte (0 not yet seen, 1 none of the names, 2 + k the k-th name):
 * the suspect steps look at names on many edges, and decoding each would cost a string per edge.
 */
export interface NameMatcher {
  /** The position in `names` of string `index`, or -1. */
  which(index: number): number;
  /** True when string `index` is `names[k]`. */
  is(index: number, k: number): boolean;
}

export function createNameMatcher(strings: StringTable, names: readonly string[]): NameMatcher {
  const verdict = new Uint8Array(strings.count);
  const position = new Map(names.map((name, k) => [name, k]));
  function which(index: number): number {
    if (index >= verdict.length) return -1;
    let v = verdict[index];
    if (v === 0) {
      const k = position.get(strings.get(index));
      v = verdict[index] = k === undefined ? 1 : k + 2;
    }
    return v - 2;
  }
  return { which, is: (index, k) => which(index) === k };
}
