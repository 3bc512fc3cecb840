/**
 * The collector's snapshot side: what the rest of the collector may use of it. Ingest hands it
 * the probes and their status messages, the server routes upload sockets and snapshot API
 * routes to it, and ending a run goes through it; everything behind this entry (records, upload,
 * analysis pipeline and worker, files, orphaned captures) stays inside the folder.
 */
export { createSnapshotService, type SnapshotRequestAnswer, type SnapshotService, type SnapshotServiceOptions } from './service';
export { handleSnapshotApi } from './routes';
export { latestSuspectsIn } from './suspects-file';
