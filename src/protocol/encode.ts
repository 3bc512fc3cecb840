import type { AckMessage, ProbeMessage } from './messages';

/** Messages are plain JSON text frames; one function each way keeps the framing in one place. */
export function encodeMessage(message: ProbeMessage | AckMessage): string {
  return JSON.stringify(message);
}
