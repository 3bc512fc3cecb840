import { confidenceText } from '../trend/reason-text';
import type { TrendResult } from '../trend/trend-model';

/** Exit codes of `leakwatch check`: CI fails the build on 1 and can treat 2 as "run longer". */
export const CHECK_EXIT_CODES = { 'no-leak': 0, leak: 1, inconclusive: 2 } as const;

export function checkText(runId: string, result: TrendResult): string {
  const lines = [result.verdict === 'inconclusive' ? `inconclusive: run ${runId}` : `${result.verdict}: run ${runId}, ${confidenceText(result.confidence)}`];
  for (const reason of result.reasons) lines.push(`  ${reason}`);
  if (result.verdict !== 'inconclusive') {
    for (const s of result.signals) if (!result.reasons.includes(s.reason)) lines.push(`  (${s.reason})`);
  }
  return `${lines.join('\n')}\n`;
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** JUnit XML: one test case per run; a leak is a failure, an inconclusive run is skipped. */
export function checkJunit(runId: string, result: TrendResult): string {
  const name = xml(`leakwatch check ${runId}`);
  const detail = xml(result.reasons.join('\n'));
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
