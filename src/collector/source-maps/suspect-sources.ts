import path from 'node:path';
import type { SuspectLocation, SuspectPathGroup, SuspectSummary } from '../../shared/suspect-data';
import type { GeneratedLocation, LocationResolver } from './location-resolver';

/** How a mapped location reads in place of the generated one (path-text.ts's two forms). */
function mappedToken(location: SuspectLocation, file: string, line: number, col: number): string {
  return location.module ? `${path.posix.basename(file.split(path.sep).join('/'))} (module)` : `${location.fn}() ${file}:${line}:${col}`;
}

/** Replaces every token at once, longest first, so `f() a.js:1:1` never eats into `f() a.js:1:10`. */
function rewriter(replacements: ReadonlyMap<string, string>): (text: string) => string {
  if (replacements.size === 0) return (text) => text;
  const tokens = [...replacements.keys()].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, (token) => replacements.get(token) ?? token);
}

/** Path groups whose texts became equal (two generated places of one source line) count as one. */
function mergeGroups(groups: readonly SuspectPathGroup[]): SuspectPathGroup[] {
  const merged = new Map<string, SuspectPathGroup>();
  for (const group of groups) {
    const same = merged.get(group.path);
    if (same) same.count += group.count;
    else merged.set(group.path, { ...group });
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || (a.path < b.path ? -1 : 1));
}

/**
 * The suspects of one snapshot with their closure and module locations mapped through the
 * scripts' source maps: each location gets its `source`, and the label and retainer paths read
 * the original file (`remember() src/audit.ts:20:3`, `audit.ts (module)`). A location without a
 * map, or without a position (a snapshot taken without locations), stays as V8 named it. The
 * suspects' other fields are untouched; a suspect without `locations` (older worker) is as it was.
 */
export async function mapSuspectLocations(resolver: LocationResolver, run: string, suspects: readonly SuspectSummary[]): Promise<SuspectSummary[]> {
  const wanted: Array<{ suspect: number; location: number; generated: GeneratedLocation }> = [];
  suspects.forEach((s, i) =>
    (s.locations ?? []).forEach((l, j) => {
      if (l.line > 0 && l.url !== '') wanted.push({ suspect: i, location: j, generated: { url: l.url, line: l.line, col: l.col, fn: l.fn } });
    }),
  );
  if (wanted.length === 0) return [...suspects];
  const sources = await resolver.resolve(run, wanted.map((w) => w.generated));
  const located = suspects.map((s) => ({ ...s, locations: s.locations?.map((l) => ({ ...l })) }));
  const replacements = located.map(() => new Map<string, string>());
  wanted.forEach((w, k) => {
    const source = sources[k];
    const location = located[w.suspect].locations![w.location];
    location.source = { file: source.file, line: source.line, col: source.col, mapped: source.mapped, note: source.note };
    if (source.mapped) replacements[w.suspect].set(location.token, mappedToken(location, source.file, source.line, source.col));
  });
  return located.map((s, i) => {
    const rewrite = rewriter(replacements[i]);
    if (replacements[i].size === 0) return s;
    return {
      ...s,
      label: rewrite(s.label),
      paths: { container: s.paths.container === null ? null : rewrite(s.paths.container), members: mergeGroups(s.paths.members.map((m) => ({ ...m, path: rewrite(m.path) }))) },
    };
  });
}
