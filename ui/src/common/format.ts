/** Human-readable numbers, sizes, durations and local times for tables, axes and tooltips. */

const BYTE_UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** 1536 -> "1.5 KB" (binary multiples, as process.memoryUsage() reports them). */
export function formatBytes(bytes: number | null | undefined, digits = 1): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '–';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  // "10 MB" rather than "10.0 MB": axis ticks land on whole units.
  const shown = unit === 0 ? String(Math.round(value)) : value.toFixed(value >= 100 ? 0 : digits).replace(/\.0+$/, '');
  return `${sign}${shown} ${BYTE_UNITS[unit]}`;
}

/** A size change: "+1.5 KB", "-12 MB", "0 B" (the sign is the point of a diff column). */
export function formatBytesDelta(bytes: number | null | undefined): string {
  const text = formatBytes(bytes);
  return typeof bytes === 'number' && bytes > 0 ? `+${text}` : text;
}

/** A growth rate: "+38 MB/h", "-1.5 KB/h" (the leak verdict's slope). */
export function formatRatePerHour(bytesPerHour: number | null | undefined): string {
  if (bytesPerHour === null || bytesPerHour === undefined || !Number.isFinite(bytesPerHour)) return '–';
  return `${formatBytesDelta(bytesPerHour)}/h`;
}

/** A count with thousands separators: "12,345". */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString();
}

/** A count change: "+1,024", "-3", "0". */
export function formatCountDelta(n: number | null | undefined): string {
  const text = formatCount(n);
  return typeof n === 'number' && n > 0 ? `+${text}` : text;
}

/** A pause or delay: "0.42 ms", "12 ms", "1.3 s". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  if (abs >= 1000) return `${(ms / 1000).toFixed(abs >= 10_000 ? 0 : 1)} s`;
  if (abs >= 10 || abs === 0) return `${Math.round(ms)} ms`;
  if (abs >= 1) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

/** A run length: "42 s", "5 m 03 s", "3 h 07 m", "2 d 4 h". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const minuteFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** Local wall-clock time "14:03:27". */
export function formatClock(ts: number): string {
  return timeFormat.format(ts);
}

/** Local "14:03". */
export function formatClockMinutes(ts: number): string {
  return minuteFormat.format(ts);
}

/** Local "Mar 4". */
export function formatDay(ts: number): string {
  return dayFormat.format(ts);
}

/** Local "Mar 4, 2025, 14:03:27". */
export function formatDateTime(ts: number | null | undefined): string {
  if (ts === null || ts === undefined || !Number.isFinite(ts)) return '–';
  return dateTimeFormat.format(ts);
}

/** Today's times show as a clock only; older ones with their date. */
export function formatStarted(ts: number, now = Date.now()): string {
  const sameDay = new Date(ts).toDateString() === new Date(now).toDateString();
  return sameDay ? formatClock(ts) : formatDateTime(ts);
}
