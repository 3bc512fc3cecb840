import { LeakwatchError } from '../shared/errors';
import type { Logger } from '../shared/log';
import type { Store } from '../store/store-interface';
import { createSpool, createSpoolReplayer, type Spool, type SpoolReplayer } from './spool';

/** 1 GiB: hours of samples from dozens of probes. */
const DEFAULT_SPOOL_BUDGET_BYTES = 1024 ** 3;

/**
 * Opens the collector's spool, when it has a directory: what an earlier process left (a damaged
 * tail quarantined, never fatal) starts replaying at once.
 */
export async function openSpool(
  options: { spoolDir?: string; spoolBudgetBytes?: number; spoolRetryMs?: { base: number; max: number } },
  store: Store,
  log: Logger,
): Promise<{ spool?: Spool; replayer?: SpoolReplayer }> {
  if (!options.spoolDir) return {};
  const spool = createSpool({ dir: options.spoolDir, budgetBytes: options.spoolBudgetBytes ?? DEFAULT_SPOOL_BUDGET_BYTES, log });
  await spool.open().catch((err: Error & { code?: string }) => {
    if (err instanceof LeakwatchError) throw err;
    throw new LeakwatchError('LW_ERR_CONFIG', `cannot use the spool directory ${options.spoolDir} (--spool-dir): ${err.message.split('\n')[0]}`, { cause: err });
  });
  const replayer = createSpoolReplayer({ spool, store, log, baseDelayMs: options.spoolRetryMs?.base, maxDelayMs: options.spoolRetryMs?.max });
  if (!spool.isEmpty()) {
    log.info(`replaying ${spool.usedBytes()} bytes spooled in ${options.spoolDir}`);
    replayer.kick();
  }
  return { spool, replayer };
}

/** New snapshots give way first when the spool fills: refused from its soft limit on. */
export function spoolRefusal(spool: Spool | undefined): LeakwatchError | undefined {
  if (!spool || spool.level() === 'ok') return undefined;
  return new LeakwatchError('LW_ERR_SPOOL_FULL', `the store is unavailable and the spool holds ${spool.usedBytes()} bytes: new snapshots are refused until it drains`);
}
