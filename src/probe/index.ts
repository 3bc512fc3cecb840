import { resolveProbeConfig, type ProbeOptions } from '../shared/probe-config';
import { createProbe, type ProbeHandle } from './probe';

export type { ProbeOptions } from '../shared/probe-config';
export type { ProbeHandle } from './probe';
export { createProbe } from './probe';

/**
 * The process-wide probe started by startProbe(). One probe per process is the point of the API
 * (two would double every sample), so this single slot is the entry point's state, not config.
 * It lives on globalThis under a registered symbol, not in this module: the same process may load
 * two copies of the probe (the `leakwatch run` preload from the leakwatch package, and an app's
 * own `leakwatch-probe` bundle), and both must find the one probe that runs.
 */
interface ProbeSlot {
  current: ProbeHandle | undefined;
  exitHookInstalled: boolean;
}
const SLOT_KEY = Symbol.for('leakwatch.probe');
const slot: ProbeSlot = ((globalThis as Record<symbol, ProbeSlot | undefined>)[SLOT_KEY] ??= { current: undefined, exitHookInstalled: false });

/**
 * Starts sampling and streaming to the collector. Calling it again returns the running probe.
 * Throws LeakwatchError(LW_ERR_CONFIG) for invalid options; never throws later.
 */
export function startProbe(options: ProbeOptions = {}): ProbeHandle {
  if (slot.current) return slot.current;
  const probe = createProbe(resolveProbeConfig(options));
  slot.current = probe;
  if (!slot.exitHookInstalled) {
    slot.exitHookInstalled = true;
    // beforeExit fires when the loop has nothing left to do: the last chance to flush and say
    // bye. stop() holds the loop open with one ref'd timer for at most the deadline. The hook
    // serves whichever probe is current (one may be started again after stopProbe()); once it is
    // stopped the slot is empty, so a later beforeExit does nothing and the process exits.
    process.on('beforeExit', () => {
      if (slot.current) void stopProbe(500);
    });
  }
  return probe;
}

/** Flushes and stops the probe started by startProbe(); resolves when done or at the deadline. */
export async function stopProbe(deadlineMs = 2000): Promise<{ flushed: boolean }> {
  const probe = slot.current;
  if (!probe) return { flushed: true };
  const result = await probe.stop(deadlineMs);
  if (slot.current === probe) slot.current = undefined;
  return result;
}
