export * from './trend-model';
export { detectLeak, judgeSignal } from './detect-leak';
export { spanText } from './reason-text';
export { theilSenSlope } from './theil-sen';
export { mannKendall, normalCdf, slopeConfidence } from './mann-kendall';
export { heapFloor, windowMinima, windowLength } from './floor-series';
