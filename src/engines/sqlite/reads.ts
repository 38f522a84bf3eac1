import { BudgetedRecords, type ReadBudget } from '../../core/pages.js';
import type { IdRange, StoredChangeset, StreamHead } from '../../core/types.js';
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
      by === 'changeset' ? [range.from, Number.isFinite(range.to) ? range.to : OPEN_END] : [this.firstChangesetWithEventFrom(streamId, range.from, head), OPEN_END];
    const kept = new BudgetedRecords(budget);
    let exhausted = true;
    for (const row of this.statements.byChangeset.iterate(streamId, from, to, before)) {
      if (by === 'event' && row.first_event_id > range.to) break;
      if (!kept.add(toStored(row))) {
        exhausted = false;
        break;
      }
    }
    return { head, records: kept.records, exhausted };
  }

  /**
   * The first changeset whose last event id is at least `eventId`, by binary search: within a
   * stream, changeset ids are dense and last event ids rise with them. Each changeset holds at
   * least one event, so it is at most changeset `eventId`. Past the head when there is none.
   */
  private firstChangesetWithEventFrom(streamId: string, eventId: number, head: StreamHead): number {
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
    for (const row of this.statements.global.iterate(checkpoint, before, budget.maxRecords)) if (!kept.add(toStored(row))) break;
    return kept.records;
  }
}
