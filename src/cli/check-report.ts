import type { VerdictBody } from '../api/http-contract';
import { frameText, type AllocSite, type SuspectWatch } from '../shared/alloc-data';
import { suspectName, topSuspectPath, type SurvivingType, type SuspectSummary } from '../shared/suspect-data';
import { confidenceText } from '../trend/reason-text';
import { formatBytes, formatBytesDelta } from './text-format';

/** Exit codes of `leakwatch check`: CI fails the build on 1 and can treat 2 as "run longer". */
export const CHECK_EXIT_CODES = { 'no-leak': 0, leak: 1, inconclusive: 2 } as const;

/**
 * One suspect in a line: `responseCache (Map) +6,000 entries, 6.4 MB/h, LeakShare 6.1 MB — server.js
 * (module) › responseCache (Map) › [*] › CachedResponse` (bytes per hour: the growth of what only
 * it keeps; the path: its new members' largest group, docs/suspects.md).
 */
export function suspectLine(suspect: SuspectSummary): string {
  const path = topSuspectPath(suspect);
  const head = `${suspectName(suspect)} +${suspect.growth.toLocaleString('en-US')} entries, ${formatBytes(suspect.bytesPerHour)}/h, LeakShare ${formatBytes(suspect.leakShareBytes)}`;
  return path ? `${head} — ${path}` : head;
}

/** `surviving new objects: CachedResponse +800 (37.5 KB), (string) +3,200 (150 KB)` (docs/suspects.md). */
export function survivingLine(types: readonly SurvivingType[]): string | null {
  if (types.length === 0) return null;
  return `surviving new objects: ${types.map((t) => `${t.type} +${t.count.toLocaleString('en-US')} (${formatBytes(t.selfSize)})`).join(', ')}`;
}

/**
 * One growing site in a line: `growing allocation site: src/audit.ts:20 remember() +3.1 MB/h
 * (live 12 MB), allocates suspect 1`: the allocating frame, mapped to the original file when its
 * script has a source map (else the generated location, and why), its slope and latest live bytes.
 */
export function siteLine(site: AllocSite, suspects: readonly SuspectSummary[]): string {
  const top = site.frames[0];
  const where = top ? frameText(top) : '(unknown site)';
  const live = `live ${formatBytes(site.liveBytes[site.liveBytes.length - 1] ?? 0)}`;
  const unmapped = top && !top.source.mapped ? `; generated location, ${top.source.note || 'not mapped'}` : '';
  const named = site.suspectIds.map((id) => suspects.findIndex((s) => s.id === id) + 1).filter((n) => n > 0);
  const allocates = named.length > 0 ? `, allocates ${named.map((n) => `suspect ${n}`).join(' and ')}` : '';
  return `growing allocation site: ${where} ${formatBytesDelta(site.slopeBytesPerHour)}/h (${live}${unmapped})${allocates}`;
}

/** Said once under the sites: V8 names functions, so a site's line is not the allocating statement. */
export const SITE_LINE_NOTE = '(a site\'s line is where its allocating function starts: V8\'s sampling heap profiler records functions, not statements)';

/**
 * What watching a suspect container found, one line per watch: `adds to responseCache (Map):
 * src/audit.ts:20 remember() (37 of 40 sampled calls)`, the most frequent caller stack's first
 * frame (source-mapped); a watch that found no caller says why.
 */
export function watchLine(watch: SuspectWatch): string {
  const top = watch.callers[0];
  if (watch.state === 'failed' && !top) return `watching ${watch.container} failed: ${watch.reason}`;
  if (!top || top.frames.length === 0) return `adds to ${watch.container}: no calls in ${Math.round(watch.watchedMs / 1000)} s of watching`;
  return `adds to ${watch.container}: ${frameText(top.frames[0])} (${top.count.toLocaleString('en-US')} of ${watch.sampled.toLocaleString('en-US')} sampled calls)`;
}

function suspectLines(result: VerdictBody): string[] {
  const lines = result.suspects.map((s, i) => `suspect ${i + 1}: ${suspectLine(s)}`);
  // A report written by a collector from before the watches has none.
  if (result.verdict === 'leak') lines.push(...(result.watches ?? []).map(watchLine));
  // A report written by a collector from before the surviving types has none.
  const surviving = result.verdict === 'leak' ? survivingLine(result.survivingTypes ?? []) : null;
  if (surviving) lines.push(surviving);
  const sites = result.verdict === 'leak' ? (result.sites ?? []) : [];
  for (const site of sites) lines.push(siteLine(site, result.suspects));
  if (sites.length > 0) lines.push(SITE_LINE_NOTE);
  return lines;
}

export function checkText(runId: string, result: VerdictBody): string {
  const lines = [result.verdict === 'inconclusive' ? `inconclusive: run ${runId}` : `${result.verdict}: run ${runId}, ${confidenceText(result.confidence)}`];
  for (const reason of result.reasons) lines.push(`  ${reason}`);
  if (result.verdict !== 'inconclusive') {
    for (const s of result.signals) if (!result.reasons.includes(s.reason)) lines.push(`  (${s.reason})`);
  }
  for (const line of suspectLines(result)) lines.push(`  ${line}`);
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit XML: one test case per run; a leak is a failure, an inconclusive run is skipped. */
export function checkJunit(runId: string, result: VerdictBody): string {
  const name = xml(`leakwatch check ${runId}`);
  const detail = xml([...result.reasons, ...suspectLines(result)].join('\n'));
  const failures = result.verdict === 'leak' ? 1 : 0;
  const skipped = result.verdict === 'inconclusive' ? 1 : 0;
  const body =
    result.verdict === 'leak'
      ? `<failure message="memory leak" type="leak">${detail}</failure>`
      : result.verdict === 'inconclusive'
        ? `<skipped message="${detail}"/>`
        : `<system-out>${detail}</system-out>`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="1" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="leakwatch" tests="1" failures="${failures}" skipped="${skipped}">`,
    `    <testcase classname="leakwatch" name="${name}">${body}</testcase>`,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
