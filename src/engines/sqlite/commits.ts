import type Database from 'better-sqlite3';
import { judgeExpectation } from '../../core/expectations.js';
import { replayOf } from '../../core/idempotency.js';
import type { CommitOutcome, NewChangeset, StreamHead } from '../../core/types.js';
import { OPEN_END } from '../../core/types.js';
import type { SqliteReads } from './reads.js';
import type { Statements } from './statements.js';

/** A batch's outcomes, and the checkpoint below which its changesets lie. */
export interface CommittedBatch {
  readonly outcomes: (CommitOutcome | Error)[];
  readonly writtenBefore: number;
}

/**
 * Commits a batch of changesets in one IMMEDIATE transaction. A commit writes one row with one
 * statement; a constraint failure undoes only that statement, so such a commit fails alone and the
 * others still land. The UNIQUE (stream_id, changeset_id) key failing means another writer took
 * that changeset id after the check: the commit is behind, as a failed conditional put is on
 * DynamoDB. Any other error (disk full, I/O) may have rolled the whole transaction back: it is
 * rethrown, so the batch fails as a whole and nothing of it is written.
 *
 * Commit times never go back along the global order (a clock set back repeats the last time), so
 * the order sorts by time and a position by time is a binary search.
 */
export function commitTransaction(
  db: Database.Database,
  statements: Statements,
  reads: SqliteReads,
  clock: () => Date,
): (batch: readonly NewChangeset[]) => CommittedBatch {
  let nextCheckpoint = 0;
  let lastCommittedAt = statements.lastCommittedAt.get() ?? '';

  /** A behind commit: the original of a retry, or a conflict. */
  function behind(changeset: NewChangeset, head: StreamHead): CommitOutcome {
    if (changeset.commitId !== undefined) {
      const { expectation, streamId } = changeset;
      const afterId = expectation.kind === 'changeset' ? expectation.value + 1 : reads.changesetHoldingEvent(streamId, expectation.value + 1, head);
      const row = statements.stored.get(streamId, afterId);
      const replay = replayOf(
        changeset,
        row === undefined ? undefined : { changesetId: row.changeset_id, firstEventId: row.first_event_id, events: row.events, metadata: row.metadata, commitId: row.commit_id ?? undefined },
      );
      if (replay !== undefined) return replay;
    }
    return { status: 'behind', head };
  }

  function commitOne(changeset: NewChangeset, committedAt: string): CommitOutcome {
    const head = reads.headOf(changeset.streamId, OPEN_END);
    const verdict = judgeExpectation(changeset.expectation, head);
    if (verdict === 'behind') return behind(changeset, head);
    if (verdict !== 'accept') return { status: verdict, head };
    const checkpoint = nextCheckpoint;
    const changesetId = head.lastChangesetId + 1;
    // The UNIQUE (stream_id, changeset_id) key refuses a second writer even if a check were missed.
    statements.insert.run({
      checkpoint,
      streamId: changeset.streamId,
      changesetId,
      firstEventId: head.lastEventId + 1,
      lastEventId: head.lastEventId + changeset.eventCount,
      events: changeset.events,
      metadata: changeset.metadata,
      committedAt,
      commitId: changeset.commitId ?? null,
    });
    nextCheckpoint = checkpoint + 1;
    return { status: 'committed', changesetId, checkpoint };
  }

  const transaction = db.transaction((batch: readonly NewChangeset[]): CommittedBatch => {
    // Read inside the transaction: the checkpoint the next commit gets.
    nextCheckpoint = statements.nextCheckpoint.get()!.next;
    const now = clock().toISOString();
    const committedAt = now > lastCommittedAt ? now : lastCommittedAt;
    const outcomes = batch.map((changeset): CommitOutcome | Error => {
      try {
        return commitOne(changeset, committedAt);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (!db.inTransaction || typeof code !== 'string' || !code.startsWith('SQLITE_CONSTRAINT')) throw error;
        if (code === 'SQLITE_CONSTRAINT_UNIQUE') return behind(changeset, reads.headOf(changeset.streamId, OPEN_END));
        return error instanceof Error ? error : new Error(String(error));
      }
    });
    if (outcomes.some((outcome) => !(outcome instanceof Error) && outcome.status === 'committed')) lastCommittedAt = committedAt;
    return { outcomes, writtenBefore: nextCheckpoint };
  });
  // BEGIN IMMEDIATE: the write lock is taken at the start, so the checkpoint read above cannot go stale.
  return (batch: readonly NewChangeset[]): CommittedBatch => transaction.immediate(batch);
}
