import type { Page } from 'playwright-core';

/**
 * Records, inside the page, every state each snapshot row of the run page showed, so a test can
 * tell that in-flight progress was rendered from live pushes even when it passed quickly. A state
 * reads `<status>[ <phase>:<done>/<total>][ "<shown progress text>"][ bar=<progress value>]`;
 * a finished row is just its status.
 */
export async function recordRowStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    interface Element {
      dataset: Record<string, string | undefined>;
      textContent: string | null;
      querySelector(s: string): (Element & { getAttribute(name: string): string | null }) | null;
    }
    const g = globalThis as unknown as {
      document: { querySelectorAll(s: string): ArrayLike<Element>; body: unknown };
      MutationObserver: new (cb: () => void) => { observe(target: unknown, options: object): void };
      seenRowStates: Record<string, string[]>;
    };
    g.seenRowStates = {};
    const note = () => {
      for (const row of Array.from(g.document.querySelectorAll('tr[data-snapshot-id]'))) {
        const id = row.dataset.snapshotId ?? '';
        const text = row.querySelector('.snap-progress-text')?.textContent ?? '';
        const bar = row.querySelector('progress.snap-progress')?.getAttribute('value');
        const state =
          `${row.dataset.status}${row.dataset.progress ? ` ${row.dataset.progress}` : ''}` +
          `${text ? ` "${text}"` : ''}${bar ? ` bar=${bar}` : ''}`;
        const seen = (g.seenRowStates[id] ??= []);
        if (seen[seen.length - 1] !== state) seen.push(state);
      }
    };
    new g.MutationObserver(note).observe(g.document.body, { subtree: true, childList: true, attributes: true });
    note();
  });
}

export function seenRowStates(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(() => (globalThis as unknown as { seenRowStates: Record<string, string[]> }).seenRowStates);
}
