export * from './types';
export { detectLeak, judgeSignal } from './detect-leak';
export { theilSenSlope } from './theil-sen';
export { mannKendall, normalCdf } from './mann-kendall';
export { heapFloor, windowMinima, windowLength } from './floor-series';
