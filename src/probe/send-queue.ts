import type { Gap } from '../shared/run-data';

/** One encoded message waiting for the collector's ack. */
export interface QueuedMessage {
  seq: number;
  text: string;
  /** Samples inside, and the time of the newest, so a drop can be recorded as a gap. */
  samples: number;
  ts: number;
  /** The loss this message reports: if it is dropped too, the loss is carried again. */
  gap?: Gap;
}

export interface SendQueueOptions {
  maxMessages: number;
  maxBytes: number;
}

export interface SendQueueStats {
  /** Seq of the newest message ever queued: how many messages this boot produced. */
  lastSeq: number;
  queued: number;
  queuedBytes: number;
  droppedMessages: number;
  droppedSamples: number;
  /** Samples in every message ever queued: what the probe measured, for an audit against the store. */
  queuedSamples: number;
  /** Dropped samples of the loss not yet carried by a message (it goes out on the next batch). */
  unreportedSamples: number;
}

/**
 * The probe's bounded memory of what the collector has not acknowledged yet.
 * Messages get consecutive seqs; `ack(seq)` forgets everything up to seq; a reconnect rewinds the
 * send cursor so every unacknowledged message goes out again in order. When full, the oldest
 * message not yet sent on the latest connection is dropped (recent data matters most to someone
 * watching a leak) and the loss is carried as a `gap` on the next message, so the collector can
 * record it instead of guessing. A message already sent may be stored with only its ack still
 * on the way: dropping it would count a stored sample as lost, so sent messages may take the
 * queue up to twice its bounds before the oldest of them goes (a collector that has not acked
 * a whole buffer's worth). Memory stays bounded by 2 x maxMessages and 2 x maxBytes.
 */
export function createSendQueue(options: SendQueueOptions) {
  const items: QueuedMessage[] = [];
  let nextSeq = 1;
  let sentCount = 0; // items[0..sentCount) went out on the current connection
  let bytes = 0;
  let droppedMessages = 0;
  let droppedSamples = 0;
  let pendingGap: Gap | undefined;
  let queuedSamples = 0;

  function mergeGap(into: Gap | undefined, add: Gap): Gap {
    if (!into) return { ...add };
    return {
      droppedMessages: into.droppedMessages + add.droppedMessages,
      droppedSamples: into.droppedSamples + add.droppedSamples,
      fromTs: Math.min(into.fromTs, add.fromTs),
      toTs: Math.max(into.toTs, add.toTs),
    };
  }

  function dropAt(index: number): void {
    const [dropped] = items.splice(index, 1);
    bytes -= dropped.text.length;
    if (index < sentCount) sentCount--;
    droppedMessages++;
    droppedSamples += dropped.samples;
    // A dropped message that itself reported a loss hands that loss on: no gap is ever forgotten.
    if (dropped.gap) pendingGap = mergeGap(pendingGap, dropped.gap);
    pendingGap = mergeGap(pendingGap, { droppedMessages: 1, droppedSamples: dropped.samples, fromTs: dropped.ts, toTs: dropped.ts });
  }

  return {
    /**
     * Builds and queues the next message; `build` receives its seq and any gap to report.
     * A message type that cannot carry a gap (`carriesGap: false`) leaves it for the next one.
     */
    push(build: (seq: number, gap: Gap | undefined) => { text: string; samples: number; ts: number }, pushOptions: { carriesGap?: boolean } = {}): void {
      // Room for one more: the oldest unsent messages go first, sent ones only past the hard bound.
      while (items.length >= options.maxMessages && sentCount < items.length) dropAt(sentCount);
      while (items.length >= 2 * options.maxMessages) dropAt(0);
      const gap = pushOptions.carriesGap === false ? undefined : pendingGap;
      if (pushOptions.carriesGap !== false) pendingGap = undefined;
      const message: QueuedMessage = { seq: nextSeq++, ...build(nextSeq - 1, gap) };
      if (gap) message.gap = gap;
      queuedSamples += message.samples;
      items.push(message);
      bytes += message.text.length;
      // Never the message just queued: it carries the gap report.
      while (bytes > options.maxBytes && sentCount < items.length - 1) dropAt(sentCount);
      while (bytes > 2 * options.maxBytes && items.length > 1) dropAt(0);
    },
    /** The next message not yet sent on this connection. */
    peekUnsent(): QueuedMessage | undefined {
      return items[sentCount];
    },
    markSent(): void {
      if (sentCount < items.length) sentCount++;
    },
    /** After a reconnect everything unacknowledged is sent again (the collector dedups by seq). */
    rewind(): void {
      sentCount = 0;
    },
    ack(seq: number): void {
      while (items.length > 0 && items[0].seq <= seq) {
        bytes -= items.shift()!.text.length;
        if (sentCount > 0) sentCount--;
      }
    },
    get size(): number {
      return items.length;
    },
    stats(): SendQueueStats {
      return { lastSeq: nextSeq - 1, queued: items.length, queuedBytes: bytes, droppedMessages, droppedSamples, queuedSamples, unreportedSamples: pendingGap?.droppedSamples ?? 0 };
    },
  };
}

export type SendQueue = ReturnType<typeof createSendQueue>;
