/**
 * `leakwatch run` flags for a short test soak: the probe measures the heap floor itself (its own
 * full GC through the inspector, floor-meter.ts) once a second at most, within 5 % of wall time,
 * so a one-minute run has a floor point in every detector window whatever V8 decides. This is the
 * product's soak mode at a test's pace; no fixture forces GC in the app.
 */
export const MEASURED_FLOOR_FLAGS = ['--measure-floor', '--measure-floor-every', '1s', '--measure-floor-budget', '5%'];
