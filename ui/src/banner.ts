import { ApiError } from './api';
import { el } from './dom';

/** The error banner at the top of the page: shows one error with its `LW_ERR_*` code. */
export function createBanner(host: HTMLElement) {
  const code = el('strong', { class: 'banner-code' });
  const text = el('span', { class: 'banner-text' });
  const banner = el('div', { class: 'banner', role: 'alert', hidden: '' }, code, text);
  host.append(banner);

  return {
    show(err: unknown): void {
      if (err instanceof ApiError) {
        code.textContent = err.code;
        text.textContent = err.message;
      } else {
        code.textContent = 'LW_ERR_UI';
        text.textContent = err instanceof Error ? err.message : String(err);
      }
      banner.hidden = false;
    },
    clear(): void {
      banner.hidden = true;
    },
  };
}

export type Banner = ReturnType<typeof createBanner>;
