export { createSpool, type Spool, type SpoolLevel, type SpoolOptions } from './spool';
export { createSpoolReplayer, type SpoolReplayer, type SpoolReplayerStats } from './spool-replayer';
export type { SpoolRecord } from './spool-record';
export { attempt, attemptInsert, storeAnswers } from './store-attempt';
