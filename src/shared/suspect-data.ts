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
