import type { SurvivingType } from '../shared/suspect-data';
import { readVarint, type NodeIndex, type NodeIndexSection, type VarintCursor } from './node-index';

/**
 * The types whose new objects survive, from the node indexes of a window of snapshots of one
 * process (node-index.ts), oldest first. V8 keeps an object's id for its whole life and gives
 * each object it has not seen before the next id (HeapObjectsMap), so an id of the last snapshot
 * that the first does not have is an object allocated during the window, and the first snapshot
 * that has it is where it was first seen (its cohort).
 *
 * A survivor is such an object first seen in a *middle* snapshot (the second to the last but
 * one) and present, under the same type, in every snapshot from there to the last. Objects first
 * seen in the last snapshot are left out: one snapshot cannot tell a leaked object from one of a
 * request in flight or an LRU's newest entry, and a heap snapshot's full GC has only collected
 * what died before it. So a churned type (its new objects all die) and a cache that turns over
 * faster than the snapshots come have none; a leak has survivors in every step.
 *
 * Ranked by surviving self size, except that the types V8 names in parentheses ((string),
 * (number), (compiled code), (array), …) come after the object types: they hold nothing of their
 * own and survive because some object keeps them, and that object's class is the name a reader
 * can find in the code (a leaked `CachedResponse` keeps its url and body strings, which weigh more).
 *
 * One merge pass per type over the (at most a handful of) ascending id lists, walking the bytes
 * as node-index-diff.ts does: no object per heap node, nothing but the output allocated.
 */

export interface SurvivingWindowEntry {
  index: NodeIndex;
  takenAt: number;
}

export interface SurvivingTypesOptions {
  /** Types kept, largest surviving size first (default 10). */
  top?: number;
  /** Types whose survivors' self size is below this are left out (default 16 KiB). */
  minBytes?: number;
  /** …or whose survivors are fewer than this (default 10). */
  minCount?: number;
}

const NO_SECTION: NodeIndexSection = { count: 0, start: 0, end: 0 };

/** One snapshot's ascending run of one type's entries, read one entry at a time. */
interface SectionCursor {
  cursor: VarintCursor;
  left: number;
  id: number;
  size: number;
}

function openSection(index: NodeIndex, type: string): SectionCursor {
  const section = index.types.get(type) ?? NO_SECTION;
  const at: SectionCursor = { cursor: { bytes: index.bytes, pos: section.start }, left: section.count, id: Infinity, size: 0 };
  advance(at);
  return at;
}

/** Moves to the next entry; the id is Infinity past the end. */
function advance(at: SectionCursor): void {
  if (at.left === 0) {
    at.id = Infinity;
    return;
  }
  at.left--;
  at.id = (at.id === Infinity ? 0 : at.id) + readVarint(at.cursor);
  at.size = readVarint(at.cursor);
}

/** Survivors of one type; steps[j] is the cohort first seen in snapshot j + 1. */
function survivorsOfType(window: readonly SurvivingWindowEntry[], type: string): { count: number; selfSize: number; steps: Array<{ count: number; selfSize: number }> } {
  const n = window.length;
  const sections = window.map((w) => openSection(w.index, type));
  const last = sections[n - 1];
  const steps = Array.from({ length: n - 2 }, () => ({ count: 0, selfSize: 0 }));
  let count = 0;
  let selfSize = 0;
  while (last.id !== Infinity) {
    const id = last.id;
    // The newest snapshot in which the object is missing, walking back from the last: its cohort
    // is the one after it, and it was present in every snapshot since.
    let missing = -1;
    for (let k = n - 2; k >= 0; k--) {
      const at = sections[k];
      while (at.id < id) advance(at);
      if (at.id !== id) {
        missing = k;
        break;
      }
    }
    // missing === -1: in the first snapshot, not new. missing === n - 2: first seen in the last.
    if (missing >= 0 && missing < n - 2) {
      const step = steps[missing];
      step.count++;
      step.selfSize += last.size;
      count++;
      selfSize += last.size;
    }
    advance(last);
  }
  return { count, selfSize, steps };
}

/**
 * The surviving types of a window of at least three snapshots of one process (oldest first),
 * largest surviving self size first; `[]` for a shorter window. Sizes are the last snapshot's.
 */
export function findSurvivingTypes(window: readonly SurvivingWindowEntry[], options: SurvivingTypesOptions = {}): SurvivingType[] {
  const { top = 10, minBytes = 16 * 1024, minCount = 10 } = options;
  if (window.length < 3) return [];
  const found: SurvivingType[] = [];
  for (const type of window[window.length - 1].index.types.keys()) {
    const survivors = survivorsOfType(window, type);
    if (survivors.count < minCount || survivors.selfSize < minBytes) continue;
    found.push({
      type,
      count: survivors.count,
      selfSize: survivors.selfSize,
      steps: survivors.steps.map((s, j) => ({ takenAt: window[j + 1].takenAt, ...s })),
    });
  }
  const internal = (type: string) => (type.startsWith('(') ? 1 : 0);
  found.sort((a, b) => internal(a.type) - internal(b.type) || b.selfSize - a.selfSize || b.count - a.count || (a.type < b.type ? -1 : 1));
  return found.slice(0, top);
}
