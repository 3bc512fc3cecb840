/** How numbers read in the detector's plain reasons ("heap floor +38 MB/h over 52 min, p < 0.001"). */

/** Signed megabytes: one decimal under 10 MB. */
export function mb(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return `${value >= 0 ? '+' : '-'}${Math.abs(value) >= 10 ? Math.abs(value).toFixed(0) : Math.abs(value).toFixed(1)} MB`;
}

/** A span for the reasons: seconds under two minutes (short test runs), minutes up to two hours, then hours. */
export function spanText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min`;
  const hours = minutes / 60;
  return `${Number.isInteger(hours) ? hours : hours.toFixed(1)} h`;
}

export function pText(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
}

/** "confidence 97.3 %"; above 99.9 % the normal approximation's further digits mean nothing. */
export function confidenceText(confidence: number): string {
  return confidence > 0.999 ? 'confidence > 99.9 %' : `confidence ${(confidence * 100).toFixed(1)} %`;
}
