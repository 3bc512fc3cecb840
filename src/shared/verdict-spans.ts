import { MAX_SPAN_MS, type DurationRule } from './duration';

/**
 * The rules of the verdict's two spans, shared by `leakwatch check` / `run --check`, the project
 * file and the verdict API's query parameters, so each refuses the same values with the same words.
 * Both accept 0 because it means something: judge however short a run is (the check snapshots
 * planner asks for exactly that), and leave out only the 10 % of the run the trend always skips.
 */
export const MIN_DURATION_RULE: DurationRule = { zero: 'no minimum', max: MAX_SPAN_MS };
export const WARMUP_RULE: DurationRule = { zero: 'only the first 10 % of the run', max: MAX_SPAN_MS };
