/**
 * Who is online in which room, for the "3 people are viewing this page" badge.
 *
 * THE LEAK: a client joins on every page view, and its presence is removed only when it signs
 * out explicitly (`leave`). Clients that just close the tab never do, and the heartbeat expiry
 * that should drop them was never written, so the tracker's `online` Set keeps one Presence
 * (about 2 KB with its client description) per page view for as long as the process lives.
 */

/** One client in one room. A class, so it shows under its own name in a heap snapshot. */
export class Presence {
  readonly joinedAt = Date.now();
  /** What the badge's tooltip shows about the client: one flat JSON string of about 2 KB. */
  readonly client: string;

  constructor(readonly userId: string, readonly room: string, userAgent: string, capabilities: readonly string[]) {
    this.client = JSON.stringify({ userId, room, userAgent, capabilities });
  }
}

export class PresenceTracker {
  private readonly online = new Set<Presence>();

  /** Marks a client present: the growing add. */
  join(presence: Presence): void {
    this.online.add(presence);
  }

  /** Only an explicit sign-out ends a presence. */
  leave(userId: string): void {
    for (const presence of this.online) if (presence.userId === userId) this.online.delete(presence);
  }

  get size(): number {
    return this.online.size;
  }
}
