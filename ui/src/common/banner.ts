import { el } from './dom';
import { errorText } from './error-text';

/** The error banner at the top of the page: shows one error with its `LW_ERR_*` code. */
export function createBanner(host: HTMLElement) {
  const code = el('strong', { class: 'banner-code' });
  const text = el('span', { class: 'banner-text' });
  const banner = el('div', { class: 'banner', role: 'alert', hidden: '' }, code, text);
  host.append(banner);

  return {
    show(err: unknown): void {
      const shown = errorText(err);
      code.textContent = shown.code;
      text.textContent = shown.message;
      banner.hidden = false;
    },
    clear(): void {
      banner.hidden = true;
    },
  };
}

export type Banner = ReturnType<typeof createBanner>;
