import { FilteredScan, type FilteredBatch, type GlobalFilter } from '../../core/global-filter.js';
import { BudgetedRecords, eventRangeEnd, type ReadBudget } from '../../core/pages.js';
import type { IdRange, StoredChangeset, StreamHead, StreamSummary } from '../../core/types.js';
import { EMPTY_HEAD, OPEN_END } from '../../core/types.js';
import type { StreamRead } from '../port.js';
import { toStored, type Statements } from './statements.js';

/** Reads of the changesets below a checkpoint: all of them for commits, the durable ones for readers. */
export class SqliteReads {
  constructor(private readonly statements: Statements) {}

  /** The stream's head among changesets below `before`. */
  headOf(streamId: string, before: number): StreamHead {
    const row = this.statements.head.get(streamId, before);
    return row === undefined ? EMPTY_HEAD : { lastChangesetId: row.changeset_id, lastEventId: row.last_event_id };
  }

  readStream(streamId: string, by: 'changeset' | 'event', range: IdRange, budget: ReadBudget, before: number): StreamRead {
    const head = this.headOf(streamId, before);
    const [from, to] =
      by === 'changeset' ? [range.from, Number.isFinite(range.to) ? range.to : OPEN_END] : [this.changesetHoldingEvent(streamId, range.from, head), OPEN_END];
    const kept = new BudgetedRecords(budget, by === 'event' ? eventRangeEnd(range) : undefined);
    kept.takeFrom(this.statements.byChangeset.iterate(streamId, from, to, before), toStored);
    return { head, ...kept.batch() };
  }

  /**
   * The first changeset whose last event id is at least `eventId`, by binary search: within a
   * stream, changeset ids are dense and last event ids rise with them. Each changeset holds at
   * least one event, so it is at most changeset `eventId`. Past the head when there is none.
   */
  changesetHoldingEvent(streamId: string, eventId: number, head: StreamHead): number {
    if (head.lastEventId < eventId) return head.lastChangesetId + 1;
    let low = 1;
    let high = Math.min(head.lastChangesetId, Math.max(1, eventId));
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (this.statements.lastEventOf.get(streamId, middle)! >= eventId) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  readGlobal(checkpoint: number, budget: ReadBudget, before: number): StoredChangeset[] {
    const kept = new BudgetedRecords(budget);
    kept.takeFrom(this.statements.global.iterate(checkpoint, before, budget.maxRecords), toStored);
    return kept.records;
  }

  readGlobalFiltered(checkpoint: number, filter: GlobalFilter, budget: ReadBudget, before: number): FilteredBatch {
    const scan = new FilteredScan(checkpoint, filter, budget);
    for (const row of this.statements.global.iterate(checkpoint, before, scan.remaining)) if (!scan.examine(row.checkpoint, toStored(row))) break;
    return scan.result();
  }

  /** Commit times rise along the global order (see commits.ts): the first at or after `time`, by binary search. */
  checkpointAtTime(time: string, before: number): number {
    let low = 0;
    let high = before;
    while (low < high) {
      const middle = Math.floor((low + high) / 2);
      if (this.statements.committedAtOf.get(middle)! >= time) high = middle;
      else low = middle + 1;
    }
    return low;
  }

  summaryOf(streamId: string, before: number): StreamSummary | undefined {
    const row = this.statements.head.get(streamId, before);
    return row === undefined ? undefined : { streamId, lastChangesetId: row.changeset_id, lastEventId: row.last_event_id, committedAt: row.committed_at };
  }

  listStreams(prefix: string, after: string | undefined, limit: number, before: number): { streams: StreamSummary[]; more: boolean } {
    const streams: StreamSummary[] = [];
    // SQLite compares TEXT by its UTF-8 bytes: the order of DynamoDB's sort keys too.
    let next = after === undefined || Buffer.compare(Buffer.from(after), Buffer.from(prefix)) < 0 ? this.statements.streamFrom.get(prefix, before) : this.statements.streamAfter.get(after, before);
    while (next !== undefined && next.startsWith(prefix)) {
      if (streams.length === limit) return { streams, more: true };
      streams.push(this.summaryOf(next, before)!);
      next = this.statements.streamAfter.get(next, before);
    }
    return { streams, more: false };
  }
}
