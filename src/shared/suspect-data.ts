/**
 * Growth suspects as the collector stores them and the API, CLI and UI read them: the JSON form
 * of src/snapshot/suspects' `Suspect` (docs/suspects.md). Times are epoch milliseconds, sizes bytes.
 */

/** Retainer paths of one shape (indexes and keys collapsed), with how many sampled objects have it. */
export interface SuspectPathGroup {
  path: string;
  count: number;
  /** V8 node id of one of them (to look it up in DevTools). */
  exampleId: number;
}

/**
 * A closure or module location as a suspect's texts show it (`remember() audit.js:20:3`,
 * `audit.js (module)`), kept structured so that the collector can map it through the script's
 * source map and rewrite those texts (`remember() src/audit.ts:20:3`).
 */
export interface SuspectLocation {
  /** The exact text the label and paths hold for it. */
  token: string;
  /** The closure's name ('' for a module). */
  fn: string;
  /** The script as V8 names it (an absolute path, a file:// URL, node:…). */
  url: string;
  /** 1-based, as V8's `locations` say where the closure starts (for a module: a closure of it); 0 when unknown. */
  line: number;
  col: number;
  /** A script's top scope (`(module)`), rather than one closure. */
  module: boolean;
  /** Set by the collector once mapped: the original file:line:col ('' file when unmapped, with the note). */
  source?: { file: string; line: number; col: number; mapped: boolean; note: string };
}

/** One container that keeps growing across the snapshots of a process. */
export interface SuspectSummary {
  /** V8 node id of the container (stable within the process). */
  id: number;
  /** `array`, `listeners`, `map`, `set`, `object`, `context`, `timers` (container-kinds.ts). */
  kind: string;
  /** How the container reads: its class, or a closure with its location. */
  label: string;
  /** When each snapshot of the window was taken, and the container's entries and own bytes then. */
  takenAt: number[];
  entries: number[];
  bytes: number[];
  /** Entries gained over the window, and per hour. */
  growth: number;
  entriesPerHour: number;
  ownBytesPerHour: number;
  /** Objects with a larger V8 id were allocated during the window. */
  newSinceId: number;
  /** BLeak's LeakShare on the last snapshot, the part of it allocated during the window, per hour. */
  leakShareBytes: number;
  newBytes: number;
  bytesPerHour: number;
  /** newBytes / the heap floor's growth over the window; null when that is unknown or did not grow. */
  floorShare: number | null;
  paths: { container: string | null; members: SuspectPathGroup[] };
  /**
   * The closure and module locations its label and paths name, as first rendered (generated
   * script, line, column). Absent in files written before locations were kept.
   */
  locations?: SuspectLocation[];
}

/**
 * A type whose new objects survive (src/snapshot/surviving-types.ts): objects allocated after the
 * window's first snapshot, first seen in one of its middle snapshots, and alive in every snapshot
 * from then to the last.
 */
export interface SurvivingType {
  type: string;
  /** Survivors in the last snapshot, and their self sizes there (bytes). */
  count: number;
  selfSize: number;
  /** Per middle snapshot (the window's second to its last but one): the survivors first seen in it. */
  steps: Array<{ takenAt: number; count: number; selfSize: number }>;
}

/** The suspects computed after one snapshot of one process (boot), over the window ending at it. */
export interface SnapshotSuspects {
  run: string;
  boot: string;
  /** The snapshot the ranking was read on (the window's last). */
  snapshotId: string;
  takenAt: number;
  /** Snapshots in the window (that one included); fewer than 3 gives no suspects. */
  snapshots: number;
  /** The heap floor's growth over the window, as passed to the ranking (null when unknown). */
  floorGrowthBytes: number | null;
  computedAt: number;
  /** Largest LeakShare first. */
  suspects: SuspectSummary[];
  /** Largest surviving size first; `[]` in a file written before it was kept (readSuspectsFile). */
  survivingTypes: SurvivingType[];
}

/** The last step of a suspect's container path (`responseCache (Map)`), else its label. */
export function suspectName(suspect: SuspectSummary): string {
  const path = suspect.paths.container;
  if (!path) return suspect.label;
  const steps = path.split(' › ');
  return steps[steps.length - 1];
}

/** The path that says most about who holds it: its new members' largest group, else its own. */
export function topSuspectPath(suspect: SuspectSummary): string | null {
  return suspect.paths.members[0]?.path ?? suspect.paths.container;
}
