import type { SourceLocation } from '../../shared/alloc-data';

/** A generated location as V8 reports it: the script's URL or path, 1-based line and column. */
export interface GeneratedLocation {
  url: string;
  line: number;
  col: number;
  fn: string;
}

/**
 * Maps generated locations of one run to the user's sources. One call per batch of locations so
 * an implementation can load each script's map once; the answer has one entry per input, in order.
 */
export interface LocationResolver {
  resolve(run: string, locations: readonly GeneratedLocation[]): Promise<SourceLocation[]>;
}

/** The generated location itself, said to be unmapped: what every location is without a map. */
export function generatedLocation(location: GeneratedLocation, note = 'no source map'): SourceLocation {
  return { file: location.url.startsWith('file://') ? decodeURIComponent(location.url.slice(7)) : location.url, line: location.line, col: location.col, name: '', mapped: false, note };
}

/** A resolver that maps nothing (no source maps are looked for). */
export function createUnmappedResolver(): LocationResolver {
  return { resolve: async (_run, locations) => locations.map((l) => generatedLocation(l)) };
}
