const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as a sparkline, scaled to the largest of them (all zero: a flat line). */
export function sparkline(values: readonly number[], width: number): string {
  const shown = values.slice(-Math.max(0, width));
  const max = Math.max(0, ...shown);
  return shown.map((value) => (max === 0 ? BARS[0] : BARS[Math.min(BARS.length - 1, Math.round((value / max) * (BARS.length - 1)))])).join('');
}
