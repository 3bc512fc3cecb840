import type { Gap, GcEvent, Sample, SpaceSample } from '../shared/run-data';
import type { ProcessRole } from '../shared/process-data';
import type { Envelope } from './envelope';
import type { AllocProfileMessage, SourceMapMessage, WatchReportMessage, WatchRequestMessage } from './alloc-messages';
import type { SnapshotRequestMessage, SnapshotStatusMessage } from './snapshot-messages';
import type { LineageMessage } from './lineage-messages';

/**
 * Wire protocol, version 1. Every message is one JSON text frame. Every probe message carries
 * (run, boot, seq): `run` is the run id (shared by all processes of one `leakwatch run`),
 * `boot` is unique per probe start, `seq` increases by one per message within a boot
 * (hello is always seq 0). The collector answers with `ack` once a message is durably stored,
 * so a probe can resend exactly what is not acknowledged after a reconnect.
 */
export const PROTOCOL_VERSION = 1;

/** Largest frame either side accepts; the probe sends a batch a second, far below this. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Path of the probe endpoint on the collector. */
export const INGEST_PATH = '/ingest';

export type { ProcessRole } from '../shared/process-data';
export { PROCESS_ROLES } from '../shared/process-data';

export interface HelloMessage extends Envelope {
  type: 'hello';
  name: string;
  labels: Record<string, string>;
  pid: number;
  host: string;
  node: string;
  argv: string[];
  startedAt: number;
  intervalMs: number;
  probeVersion: string;
  /*
   * Process identity (added in the same protocol version; a probe that predates them sends none,
   * and the collector reads ppid 0, threadId 0, role 'process', roleIndex 0).
   */
  /** The parent process's pid (process.ppid; in a worker thread, the process's parent). */
  ppid?: number;
  /** worker_threads.threadId: 0 for the main thread. */
  threadId?: number;
  role?: ProcessRole;
  /** Cluster worker id for a `worker`, threadId for a `thread`, 0 otherwise. */
  roleIndex?: number;
}

export interface BatchMessage extends Envelope {
  type: 'batch';
  samples: Sample[];
  spaces: SpaceSample[];
  gcs: GcEvent[];
  gap?: Gap;
}

export interface ByeMessage extends Envelope {
  type: 'bye';
  endedAt: number;
  reason: string;
  /**
   * False when a launcher (`leakwatch run`) owns the run: several processes of one command can
   * share a run, and the launcher ends it when the command exits.
   */
  endsRun: boolean;
}

export type ProbeMessage = HelloMessage | BatchMessage | ByeMessage | SnapshotStatusMessage | AllocProfileMessage | SourceMapMessage | WatchReportMessage | LineageMessage;

/** Collector -> probe: every message of this boot with seq <= `seq` is stored. */
export interface AckMessage {
  v: number;
  type: 'ack';
  run: string;
  boot: string;
  seq: number;
}

export type CollectorMessage = AckMessage | SnapshotRequestMessage | WatchRequestMessage;
