/** Where a progress bar writes: stderr by default, so stdout stays clean for results and --json. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressBarOptions {
  stream?: ProgressStream;
  /** Redraw in place (default: whether the stream is a terminal). */
  tty?: boolean;
  /** Without a terminal, at most one line per this many ms while the label stays the same (default 2000). */
  lineIntervalMs?: number;
  /** On a terminal, at most one redraw per this many ms (default 100). */
  redrawMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export interface ProgressBar {
  /** `total` 0 means unknown: the label is shown without a percentage. */
  update(done: number, total: number, label: string): void;
  /** Finishes the bar (a terminal gets its line ended); `message` is printed as a last line. */
  done(message?: string): void;
}

const BAR_MIN = 10;
const BAR_MAX = 40;

function percentOf(done: number, total: number): number | null {
  if (!(total > 0)) return null;
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/**
 * A progress display for long CLI steps (upload, analysis). On a terminal it redraws one line in
 * place; otherwise (CI logs, pipes) it prints plain lines, one when the label changes and then at
 * most every `lineIntervalMs`, so a log gets a readable trail instead of control characters.
 */
export function createProgressBar(options: ProgressBarOptions = {}): ProgressBar {
  const stream = options.stream ?? process.stderr;
  const tty = options.tty ?? stream.isTTY === true;
  const lineIntervalMs = options.lineIntervalMs ?? 2000;
  const redrawMs = options.redrawMs ?? 100;
  const now = options.now ?? Date.now;
  let lastLabel: string | undefined;
  let lastPercent: number | null | undefined;
  let lastAt = Number.NEGATIVE_INFINITY;
  let drawn = false;
  let finished = false;

  function ttyLine(done: number, total: number, label: string): string {
    const percent = percentOf(done, total);
    if (percent === null) return label;
    const columns = stream.columns ?? 80;
    const width = Math.max(BAR_MIN, Math.min(BAR_MAX, columns - label.length - 10));
    const filled = Math.round((width * percent) / 100);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}%`;
  }

  return {
    update(done, total, label) {
      if (finished) return;
      const percent = percentOf(done, total);
      const changedLabel = label !== lastLabel;
      const t = now();
      if (tty) {
        if (!changedLabel && percent === lastPercent) return;
        if (!changedLabel && percent !== 100 && t - lastAt < redrawMs) return;
        // \r + erase line: the bar is redrawn in place.
        stream.write(`\r\x1b[2K${ttyLine(done, total, label)}`);
        drawn = true;
      } else {
        if (!changedLabel && (percent === lastPercent || (t - lastAt < lineIntervalMs && percent !== 100))) return;
        stream.write(`${label}${percent === null ? '' : ` ${percent}%`}\n`);
      }
      lastLabel = label;
      lastPercent = percent;
      lastAt = t;
    },
    done(message) {
      if (finished) return;
      finished = true;
      const text = `${tty && drawn ? '\n' : ''}${message ? `${message}\n` : ''}`;
      if (text) stream.write(text);
    },
  };
}
