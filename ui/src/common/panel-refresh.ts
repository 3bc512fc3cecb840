import { el } from './dom';
import { errorText } from './error-text';

/**
 * A panel's "read again and draw": reads may overlap (page load, a live push, a reconnect), so
 * only the newest answer is drawn, whichever arrives last. A failure shows in the panel's error
 * line with its code, and a panel that never loaded turns `data-state=error`.
 */
export function createPanelRefresh<T>(root: HTMLElement, errorLine: HTMLElement, read: () => Promise<T>, render: (value: T) => void): () => Promise<void> {
  let generation = 0;
  return async function refresh(): Promise<void> {
    const mine = ++generation;
    try {
      const value = await read();
      if (mine !== generation) return;
      errorLine.hidden = true;
      render(value);
    } catch (err) {
      if (mine !== generation) return;
      const { code, message } = errorText(err);
      errorLine.replaceChildren(el('code', {}, code), ' ', message);
      errorLine.hidden = false;
      if (root.dataset.state === 'loading') root.dataset.state = 'error';
    }
  };
}
