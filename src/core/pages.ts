import { splitJsonArray } from './json-array.js';
import { LIMITS } from './limits.js';
import type { IdRange, StoredChangeset } from './types.js';

/** What an engine read returns: records in order, and whether the range holds nothing more. */
export interface RecordBatch {
  readonly records: readonly StoredChangeset[];
  /** True when no record of the asked range comes after the last one returned. */
  readonly exhausted: boolean;
}

/** How much an engine read may return: it stops at `maxRecords`, or once `maxBytes` is reached. */
export interface ReadBudget {
  readonly maxRecords: number;
  readonly maxBytes: number;
}

export const STREAM_CHANGESETS_BUDGET: ReadBudget = { maxRecords: LIMITS.pageMaxChangesets, maxBytes: LIMITS.responseMaxBytes };
export const STREAM_EVENTS_BUDGET: ReadBudget = { maxRecords: LIMITS.pageMaxEvents, maxBytes: LIMITS.responseMaxBytes };
export const FORTHCOMING_BUDGET: ReadBudget = { maxRecords: LIMITS.forthcomingMaxChangesets, maxBytes: LIMITS.responseMaxBytes };

/**
 * The bytes a text takes in the serialized Lambda response, as the runtime measures it: the proxy
 * result carries the body as a JSON string, so the text counts as UTF-8 once escaped (a `"` or `\`
 * takes two bytes, a control character up to six).
 */
export function escapedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8') - 2;
}

/**
 * What a changeset's rendering adds to its escaped JSON texts and quoted stream id, escaped: the
 * keys, punctuation, three numbers and the commit time of the largest form (the global page's). Tests pin the bound.
 */
export const CHANGESET_FRAME_BYTES = 208;
/** The same for an event (`{"id":N,"data":…},`). */
export const EVENT_FRAME_BYTES = 48;

/** A changeset's share of a response, on any page that lists it. */
export function changesetResponseBytes(record: StoredChangeset): number {
  return escapedBytes(record.events) + escapedBytes(record.metadata) + escapedBytes(JSON.stringify(record.streamId)) + CHANGESET_FRAME_BYTES;
}

/** An event's share of a response. */
export function eventResponseBytes(data: string): number {
  return escapedBytes(data) + EVENT_FRAME_BYTES;
}

/**
 * The one rule that pages and engine reads cut by: a record is taken while the count allows and
 * its bytes still fit; the first is always taken, so paging always moves on.
 */
export function fitsBudget(budget: ReadBudget, taken: number, bytes: number, size: number): boolean {
  return taken < budget.maxRecords && (taken === 0 || bytes + size <= budget.maxBytes);
}

/**
 * Records collected within a budget: the one loop of every engine read and page. It stops at the
 * first record that does not fit, or at the first that `endsBefore` says lies past the asked range.
 */
export class BudgetedRecords {
  readonly records: StoredChangeset[] = [];
  private bytes = 0;
  private full = false;

  constructor(
    private readonly budget: ReadBudget,
    private readonly endsBefore?: (record: StoredChangeset, taken: number) => boolean,
  ) {}

  /** Takes `rows` in order while they fit; false once the read is to stop (the rest is not looked at). */
  takeFrom<Row>(rows: Iterable<Row>, toRecord: (row: Row) => StoredChangeset): boolean {
    for (const row of rows) {
      const record = toRecord(row);
      if (this.endsBefore?.(record, this.records.length) === true) return false;
      const size = changesetResponseBytes(record);
      if (!fitsBudget(this.budget, this.records.length, this.bytes, size)) {
        this.full = true;
        return false;
      }
      this.records.push(record);
      this.bytes += size;
    }
    return true;
  }

  /** Takes one record if it fits (a filtered scan decides record by record); false once the read is to stop. */
  take(record: StoredChangeset): boolean {
    return this.takeFrom([record], asIs);
  }

  /** What the read returns: exhausted unless the budget cut it. */
  batch(): RecordBatch {
    return { records: this.records, exhausted: !this.full };
  }
}

const asIs = (record: StoredChangeset): StoredChangeset => record;

/** A stream read by events ends before the first changeset starting after the range's last event. */
export function eventRangeEnd(range: IdRange): ((record: StoredChangeset) => boolean) | undefined {
  return Number.isFinite(range.to) ? (record) => record.firstEventId > range.to : undefined;
}

/** The budget of a global read of `limit` changesets. */
export function globalBudget(limit: number): ReadBudget {
  return { maxRecords: limit, maxBytes: LIMITS.responseMaxBytes };
}

export interface ChangesetPage {
  readonly changesets: readonly StoredChangeset[];
  /** The first changeset id not returned, when the page stops before the range's end. */
  readonly nextFrom: number | undefined;
}

/** Cuts a page of changesets to the count and byte limits; always keeps at least one. */
export function pageOfChangesets(batch: RecordBatch, budget: ReadBudget): ChangesetPage {
  const kept = new BudgetedRecords(budget);
  kept.takeFrom(batch.records, asIs);
  const taken = kept.records;
  const last = taken.at(-1);
  if (taken.length < batch.records.length) return { changesets: taken, nextFrom: batch.records[taken.length]!.changesetId };
  if (!batch.exhausted && last !== undefined) return { changesets: taken, nextFrom: last.changesetId + 1 };
  return { changesets: taken, nextFrom: undefined };
}

export interface StoredEvent {
  readonly id: number;
  /** The event's JSON text, as stored. */
  readonly data: string;
}

export interface EventPage {
  readonly events: readonly StoredEvent[];
  readonly nextFrom: number | undefined;
}

/** The events of `range` held by the batch's changesets, cut to the count and byte limits. */
export function pageOfEvents(batch: RecordBatch, range: IdRange, budget: ReadBudget): EventPage {
  const taken: StoredEvent[] = [];
  let bytes = 0;
  for (const record of batch.records) {
    const texts = splitJsonArray(record.events);
    for (let index = 0; index < texts.length; index++) {
      const id = record.firstEventId + index;
      if (id < range.from) continue;
      if (id > range.to) return { events: taken, nextFrom: undefined };
      const data = texts[index]!;
      const size = eventResponseBytes(data);
      if (!fitsBudget(budget, taken.length, bytes, size)) {
        return { events: taken, nextFrom: id };
      }
      taken.push({ id, data });
      bytes += size;
    }
  }
  const last = taken.at(-1);
  if (!batch.exhausted && last !== undefined) return { events: taken, nextFrom: last.id + 1 };
  return { events: taken, nextFrom: undefined };
}

export interface GlobalPage {
  readonly changesets: readonly StoredChangeset[];
  readonly nextCheckpoint: number;
}

/**
 * The global page from `checkpoint`: contiguous checkpoints only, so a reader never steps over
 * one that is not visible yet, cut to `limit` and the byte limit.
 */
export function pageOfGlobalOrder(records: readonly StoredChangeset[], checkpoint: number, limit: number): GlobalPage {
  const kept = new BudgetedRecords(globalBudget(limit), (record, taken) => record.checkpoint !== checkpoint + taken);
  kept.takeFrom(records, asIs);
  return { changesets: kept.records, nextCheckpoint: checkpoint + kept.records.length };
}

/** The changesets listed in a 409: oldest first, within the count and byte limits. */
export function forthcomingChangesets(batch: RecordBatch): readonly StoredChangeset[] {
  return pageOfChangesets(batch, FORTHCOMING_BUDGET).changesets;
}
