import type { SiteFrame } from '../../shared/alloc-data';
import type { SuspectSummary } from '../../shared/suspect-data';

/*
 * Which growth suspects a site allocates for (docs/api.md, "Allocation sites"). A suspect is a
 * container of one process, read from its snapshots; a site is a stack of the same process from
 * the sampling heap profiler. They meet in two ways:
 *
 * 1. Member type: the suspect's new members read `… › [*] › CachedResponse` (path-text.ts: the
 *    last step of a member path is its class), and V8 samples `new CachedResponse()` in the
 *    function `CachedResponse` (the constructor runs the allocation), so a site whose allocating
 *    function is named as a member type allocates those members. V8's own names in parentheses
 *    (`(string)`, `(closure)`…) are no function's name and never match.
 * 2. Closure location: a path step (container, member, or the suspect's label) that is a
 *    closure or its scope reads `remember() audit.js:20:3`, naming a function and its script
 *    (the script's last path segment); a site whose allocating function has that name in a
 *    script of that name allocates in that closure, which keeps its objects.
 *
 * A frame's names are its generated ones and, when mapped, its original ones (a map's name and
 * file), so a suspect read from the generated script matches either way.
 */

const SEPARATOR = ' › ';
/** `name() script:line:col`, optionally `(scope)`: path-text.ts's closure and context steps. */
const CLOSURE_STEP = /^(.+?)\(\) (\S+?)(?::\d+:\d+)?(?: \(scope\))?$/;
/** `name (Class)`: a named step; its class is in the parentheses. */
const NAMED_STEP = /^.+ \(([^()]+)\)$/;

function baseName(file: string): string {
  const clean = file.replace(/[?#].*$/, '');
  return clean.slice(clean.lastIndexOf('/') + 1);
}

/** The class a member path ends with, or null (a closure, a V8 name, or nothing). */
export function memberType(path: string): string | null {
  const steps = path.split(SEPARATOR);
  const last = steps[steps.length - 1].trim();
  if (last === '' || last === '[*]' || last.startsWith('(') || CLOSURE_STEP.test(last)) return null;
  const named = NAMED_STEP.exec(last);
  return named ? named[1] : last;
}

/** Every closure (function and script) a suspect's paths and label name. */
export function closureSteps(suspect: SuspectSummary): { fn: string; script: string }[] {
  const texts = [suspect.label, suspect.paths.container ?? '', ...suspect.paths.members.map((m) => m.path)];
  const out: { fn: string; script: string }[] = [];
  for (const text of texts) {
    for (const step of text.split(SEPARATOR)) {
      const match = CLOSURE_STEP.exec(step.trim());
      if (match) out.push({ fn: match[1], script: baseName(match[2]) });
    }
  }
  return out;
}

/** Does this site (allocating frame first) allocate for this suspect, by the rules above? */
export function siteMatchesSuspect(frames: readonly SiteFrame[], suspect: SuspectSummary): boolean {
  const top = frames[0];
  if (!top) return false;
  const names = new Set([top.fn, top.source.name].filter((n) => n !== '' && n !== '(anonymous)'));
  if (names.size === 0) return false;
  for (const group of suspect.paths.members) {
    const type = memberType(group.path);
    if (type !== null && names.has(type)) return true;
  }
  const scripts = new Set([baseName(top.url), baseName(top.source.file)]);
  return closureSteps(suspect).some((c) => names.has(c.fn) && scripts.has(c.script));
}

/** The ids of the suspects a site matches, in the suspects' order (largest LeakShare first). */
export function matchingSuspectIds(frames: readonly SiteFrame[], suspects: readonly SuspectSummary[]): number[] {
  return suspects.filter((s) => siteMatchesSuspect(frames, s)).map((s) => s.id);
}
