import { EesError } from '../core/errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Parses "2s", "500ms", "1m" or a bare number of seconds into milliseconds (at least 100 ms). */
export function parseDuration(raw: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (match === null) throw new EesError('INVALID_USAGE', `${flag} "${raw}" is not a duration (like 2s, 500ms or 1m).`);
  const milliseconds = Number(match[1]) * UNITS[match[2] ?? 's']!;
  if (milliseconds < 100) throw new EesError('INVALID_USAGE', `${flag} must be at least 100ms.`);
  return milliseconds;
}
