import { el } from '../common/dom';
import { formatDateTime } from '../common/format';
import { WINDOWS, type ViewRange } from './view-range';

export interface RangeControlHandlers {
  /** A window button: follow the newest data over `windowMs` (null: whole run). */
  onWindow(windowMs: number | null): void;
  /** The live button: follow again with the last window. */
  onLive(): void;
}

/** Toolbar above the charts: window buttons, the live/reset button and the shown range. */
export function createRangeControls(host: HTMLElement, handlers: RangeControlHandlers) {
  const windowButtons = WINDOWS.map((w) => {
    const button = el('button', { type: 'button', class: 'seg', 'data-window': w.key }, w.label);
    button.addEventListener('click', () => handlers.onWindow(w.ms));
    return { button, ms: w.ms };
  });
  const liveButton = el('button', { type: 'button', class: 'live-button', 'data-action': 'live', title: 'Return to the newest data' }, '');
  liveButton.addEventListener('click', () => handlers.onLive());
  const rangeText = el('span', { class: 'range-text' });
  const busy = el('span', { class: 'busy', hidden: '' }, 'loading…');
  const connection = el('span', { class: 'connection' });

  host.append(
    el('div', { class: 'toolbar' },
      el('div', { class: 'segmented', role: 'group', 'aria-label': 'time range' }, ...windowButtons.map((w) => w.button)),
      liveButton,
      rangeText,
      busy,
      el('span', { class: 'spacer' }),
      connection,
      el('span', { class: 'hint' }, 'drag across a chart to zoom'),
    ),
  );

  return {
    /** Highlights the active window and labels the live button for following vs zoomed. */
    show(view: ViewRange, runIsLive: boolean): void {
      for (const { button, ms } of windowButtons) button.classList.toggle('active', view.kind === 'follow' && view.windowMs === ms);
      const following = view.kind === 'follow';
      liveButton.textContent = following ? (runIsLive ? '● live' : 'latest') : runIsLive ? '↺ back to live' : '↺ reset zoom';
      liveButton.classList.toggle('following', following && runIsLive);
      liveButton.disabled = following;
    },
    setShownRange(from: number | undefined, to: number | undefined): void {
      rangeText.textContent = from !== undefined && to !== undefined ? `${formatDateTime(from)} – ${formatDateTime(to)}` : '';
    },
    setBusy(on: boolean): void {
      busy.hidden = !on;
    },
    /** null: no live connection needed (run ended). */
    setConnection(state: 'connected' | 'reconnecting' | null): void {
      connection.textContent = state === 'connected' ? 'live updates on' : state === 'reconnecting' ? 'reconnecting…' : '';
      connection.className = `connection ${state ?? ''}`;
    },
  };
}
