import type { CollectorMessage, ProbeMessage } from './messages';
import type { SnapshotBeginMessage, SnapshotEndMessage, SnapshotStoredMessage } from './snapshot-messages';

/** Messages are plain JSON text frames; one function each way keeps the framing in one place. */
export function encodeMessage(
  message: ProbeMessage | CollectorMessage | SnapshotBeginMessage | SnapshotEndMessage | SnapshotStoredMessage,
): string {
  return JSON.stringify(message);
}
