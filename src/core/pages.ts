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

export function storedSize(record: StoredChangeset): number {
  return Buffer.byteLength(record.events, 'utf8') + Buffer.byteLength(record.metadata, 'utf8');
}

export interface ChangesetPage {
  readonly changesets: readonly StoredChangeset[];
  /** The first changeset id not returned, when the page stops before the range's end. */
  readonly nextFrom: number | undefined;
}

/** Cuts a page of changesets to the count and byte limits; always keeps at least one. */
export function pageOfChangesets(batch: RecordBatch, budget: ReadBudget): ChangesetPage {
  const taken: StoredChangeset[] = [];
  let bytes = 0;
  for (const record of batch.records) {
    const size = storedSize(record);
    if (taken.length === budget.maxRecords || (taken.length > 0 && bytes + size > budget.maxBytes)) break;
    taken.push(record);
    bytes += size;
  }
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
      const size = Buffer.byteLength(data, 'utf8');
      if (taken.length === budget.maxRecords || (taken.length > 0 && bytes + size > budget.maxBytes)) {
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
  const taken: StoredChangeset[] = [];
  let bytes = 0;
  let expected = checkpoint;
  for (const record of records) {
    if (record.checkpoint !== expected || taken.length === limit) break;
    const size = storedSize(record);
    if (taken.length > 0 && bytes + size > LIMITS.responseMaxBytes) break;
    taken.push(record);
    bytes += size;
    expected++;
  }
  return { changesets: taken, nextCheckpoint: expected };
}

/** The changesets listed in a 409: oldest first, within the count and byte limits. */
export function forthcomingChangesets(batch: RecordBatch): readonly StoredChangeset[] {
  return pageOfChangesets(batch, FORTHCOMING_BUDGET).changesets;
}
