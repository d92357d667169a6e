/** A rebuild's progress at one moment. */
export interface Progress {
  /** Events handled so far. */
  done: number;
  /** Events in the log now. */
  total: number;
  /** Events per second over the run so far. */
  rate: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * One line of a progress bar: `[#########-----------]  45% 450,000/1,000,000 events
 * 9,120 events/s ETA 1m00s`. `width` is the bar's length in characters.
 */
export function progressLine(progress: Progress, width = 24): string {
  const total = Math.max(progress.total, progress.done);
  const fraction = total === 0 ? 1 : progress.done / total;
  const filled = Math.round(fraction * width);
  const eta = progress.rate > 0 ? (total - progress.done) / progress.rate : Infinity;
  return (
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
    `${count(progress.done)}/${count(total)} events  ${count(progress.rate)} events/s  ETA ${duration(eta)}`
  );
}
