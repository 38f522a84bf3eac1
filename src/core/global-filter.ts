import { EesError } from './errors.js';
import { BudgetedRecords, type ReadBudget } from './pages.js';
import { validateStreamId } from './params.js';
import type { StoredChangeset } from './types.js';

/**
 * A filter on the global order: a changeset matches when its stream id starts with `streamPrefix`
 * (the event-sourcing "category") and, when `types` are given, one of its events is an object whose
 * `type` is one of them.
 */
export interface GlobalFilter {
  readonly streamPrefix: string | undefined;
  readonly types: readonly string[];
}

/** Checkpoints one filtered read examines at most, matching or not: the bound on its work. */
export const FILTER_EXAMINE_MAX = 1_000;
/** `type` may be given this many times. */
export const FILTER_TYPES_MAX = 20;
/** Bytes of one `type` value. */
export const FILTER_TYPE_MAX_BYTES = 256;

/** The filter of a global read, or undefined without `stream_prefix` and `type` (empty values are absent). */
export function parseGlobalFilter(query: URLSearchParams): GlobalFilter | undefined {
  const prefixes = query.getAll('stream_prefix');
  if (prefixes.length > 1) {
    throw new EesError('INVALID_STREAM_PREFIX', `The "stream_prefix" parameter is given ${prefixes.length} times; give it at most once.`);
  }
  const streamPrefix = prefixes[0] === '' ? undefined : prefixes[0];
  if (streamPrefix !== undefined) {
    try {
      validateStreamId(streamPrefix);
    } catch {
      throw new EesError('INVALID_STREAM_PREFIX', 'The stream prefix must be 1 to 512 UTF-8 bytes, without control characters or "/".');
    }
  }
  const types = [...new Set(query.getAll('type').filter((type) => type !== ''))];
  if (types.length > FILTER_TYPES_MAX) throw new EesError('INVALID_TYPE_FILTER', `At most ${FILTER_TYPES_MAX} "type" values may be given; ${types.length} were.`);
  for (const type of types) {
    if (Buffer.byteLength(type, 'utf8') > FILTER_TYPE_MAX_BYTES || !type.isWellFormed()) {
      throw new EesError('INVALID_TYPE_FILTER', `A "type" value is 1 to ${FILTER_TYPE_MAX_BYTES} UTF-8 bytes.`);
    }
  }
  return streamPrefix === undefined && types.length === 0 ? undefined : { streamPrefix, types };
}

export function matchesStream(filter: GlobalFilter, streamId: string): boolean {
  return filter.streamPrefix === undefined || streamId.startsWith(filter.streamPrefix);
}

function hasType(events: string, types: readonly string[]): boolean {
  // Stored events are JSON.stringify output, so an event of type T holds T's JSON text: most
  // changesets are ruled out without parsing them.
  const candidates = types.filter((type) => events.includes(JSON.stringify(type)));
  if (candidates.length === 0) return false;
  const parsed = JSON.parse(events) as unknown[];
  return parsed.some((event) => {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
    const type = (event as { type?: unknown }).type;
    return typeof type === 'string' && candidates.includes(type);
  });
}

export function matchesChangeset(filter: GlobalFilter, record: StoredChangeset): boolean {
  return matchesStream(filter, record.streamId) && (filter.types.length === 0 || hasType(record.events, filter.types));
}

/** A filtered read: the matching changesets kept, and where the next read starts. */
export interface FilteredBatch {
  readonly records: readonly StoredChangeset[];
  /** The checkpoint after the last one examined: the asked one when nothing was. */
  readonly nextCheckpoint: number;
}

/**
 * The one rule of a filtered read, for every engine: checkpoints are examined in order from the
 * asked one, contiguously (a gap, i.e. a checkpoint not visible yet, ends the read as it ends an
 * unfiltered page), at most FILTER_EXAMINE_MAX of them; matching ones are kept within the budget.
 * The read advances past every checkpoint examined, so a filter that matches nothing still moves
 * a follower to the head.
 */
export class FilteredScan {
  private readonly kept: BudgetedRecords;
  private next: number;
  private done = false;

  constructor(
    private readonly checkpoint: number,
    readonly filter: GlobalFilter,
    budget: ReadBudget,
  ) {
    this.kept = new BudgetedRecords(budget);
    this.next = checkpoint;
  }

  /** The checkpoint the next examined record must have. */
  get expected(): number {
    return this.next;
  }

  /** How many more checkpoints may be examined. */
  get remaining(): number {
    return this.done ? 0 : this.checkpoint + FILTER_EXAMINE_MAX - this.next;
  }

  /**
   * Examines the record at `checkpoint`; `record` is undefined when a cheaper check already ruled
   * it out (e.g. its stream id, known from a key). False when the read stops here.
   */
  examine(checkpoint: number | null, record: StoredChangeset | undefined): boolean {
    if (this.remaining <= 0 || checkpoint !== this.next) {
      this.done = true;
      return false;
    }
    if (record !== undefined && matchesChangeset(this.filter, record) && !this.kept.take(record)) {
      // The budget is full: this checkpoint is not examined, the next read starts at it.
      this.done = true;
      return false;
    }
    this.next++;
    return this.remaining > 0;
  }

  result(): FilteredBatch {
    return { records: this.kept.records, nextCheckpoint: this.next };
  }
}

/**
 * `since`: an ISO 8601 time with a date, a time and a zone (`Z` or `±hh:mm`), as the commit times'
 * form (UTC, milliseconds) for comparing with them as text.
 */
export function parseSince(raw: string): string {
  const shape = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = shape.test(raw) ? Date.parse(raw) : Number.NaN;
  if (Number.isNaN(ms) || ms < 0 || ms > Date.parse('9999-12-31T23:59:59.999Z')) {
    throw new EesError('INVALID_SINCE', `"${raw}" is an invalid since value. Expected an ISO 8601 time with a zone, e.g. 2026-12-01T10:00:00Z.`);
  }
  return new Date(ms).toISOString();
}
