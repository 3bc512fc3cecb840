import type { RunSummary } from '../../shared/run-data';
import type { VerdictBody } from '../../api/http-contract';
import type { CheckThresholds } from '../check-flags';

/**
 * Where a command reads and ends runs: a running collector's HTTP API, or a store this process
 * holds (opened by `runs` / `check`, or under `run`'s embedded collector). chDB lets one process
 * own a data directory, so which one a command gets is decided once, in `openRunSource`, and the
 * commands never branch on it.
 */
export interface RunSource {
  /** Every run with its sample count, as `leakwatch runs` lists them. */
  listRuns(): Promise<RunSummary[]>;
  /** The leak verdict on a run's memory trend as stored now, with its top suspects under `leak`. */
  verdict(runId: string, thresholds: CheckThresholds): Promise<VerdictBody>;
  /**
   * Marks a run ended with its command's exit code. When it resolves, what the probe sent is
   * stored, so a verdict read next sees the whole run.
   */
  endRun(runId: string, exitCode: number): Promise<void>;
  /** Releases what the source holds (the store and its data directory); the API's is a no-op. */
  close(): Promise<void>;
}

/** A run source with a collector in front of it, which a probe can send to (`leakwatch run`). */
export interface CollectorRunSource extends RunSource {
  readonly collectorUrl: string;
  /** Fails with one line when the collector does not answer, before a command is started for it. */
  ensureReachable(): Promise<void>;
  /**
   * A probe token for this run alone, which no other collector accepts (collector/run-tokens.ts),
   * or undefined where the collector cannot issue one (an older collector without the route).
   * `probeToken` is the user's, which a collector that requires one asks for first.
   */
  issueRunToken?(runId: string, probeToken: string | undefined): Promise<string | undefined>;
}
