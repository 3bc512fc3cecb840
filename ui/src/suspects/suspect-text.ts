import type { SuspectSummary } from '../../../src/api';
import { suspectName } from '../../../src/shared/suspect-data';
import { formatBytes, formatCount, formatCountDelta, formatRatePerHour } from '../common/format';

/** "+1,200 entries (+2,400/h)": how much the container gained over the window, and how fast. */
export function entriesText(suspect: SuspectSummary): string {
  return `${formatCountDelta(suspect.growth)} entries (${formatCountDelta(Math.round(suspect.entriesPerHour))}/h)`;
}

/** "62 % of the floor's growth", or null when the floor's growth is unknown. */
export function floorShareText(suspect: SuspectSummary): string | null {
  if (suspect.floorShare === null) return null;
  const percent = suspect.floorShare * 100;
  // A real but small part must not read as "0 %".
  const shown = percent > 0 && percent < 1 ? '< 1' : String(Math.round(percent));
  return `${shown} % of the floor's growth`;
}

/** "LeakShare 1.2 MB": BLeak's memory reachable only through it, shared among the suspects. */
export function leakShareText(suspect: SuspectSummary): string {
  return `LeakShare ${formatBytes(suspect.leakShareBytes)}`;
}

/** The one line a verdict gives a suspect: what grows, how fast, its size. */
export function suspectSummaryText(suspect: SuspectSummary): string {
  const share = floorShareText(suspect);
  return [`${suspectName(suspect)} ${entriesText(suspect)}`, formatRatePerHour(suspect.bytesPerHour), leakShareText(suspect), share].filter(Boolean).join(', ');
}

/** "400 objects" for a path group's count. */
export function pathCountText(count: number): string {
  return `${formatCount(count)} ${count === 1 ? 'object' : 'objects'}`;
}
