import { EesError } from '../core/errors.js';
import { parseSince } from '../core/global-filter.js';

const AGO_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an age (30s, 15m, 2h, 7d) or an ISO 8601 time with a zone; the time in the commit times' form. */
export function parseSinceFlag(raw: string, now: Date = new Date()): string {
  const ago = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(raw.trim());
  if (ago !== null) return new Date(now.getTime() - Number(ago[1]) * AGO_UNITS[ago[2]!]!).toISOString();
  try {
    return parseSince(raw.trim());
  } catch {
    throw new EesError('INVALID_USAGE', `--since "${raw}" is neither an age (like 30s, 15m, 2h, 7d) nor an ISO 8601 time with a zone (like 2026-12-01T10:00:00Z).`);
  }
}
