/**
 * How far the derived views trail the commits (`GET /lag`, `ees status`, `ees stats`): the global
 * order behind the commits, and the statistics behind the global order.
 */
export interface IndexingLag {
  /** Committed changesets without a checkpoint yet (counted up to a cap on DynamoDB). */
  readonly unindexed_changesets: number;
  /** True when there were more than the count shows. */
  readonly unindexed_count_capped: boolean;
  /** The commit time of the oldest of them, or null when none waits. */
  readonly oldest_unindexed_at: string | null;
  readonly oldest_unindexed_age_ms: number | null;
  /** The next checkpoint the indexer assigns. */
  readonly head_checkpoint: number;
  /** The next checkpoint the statistics projection reads. */
  readonly statistics_version: number;
  /** Checkpoints assigned but not yet in the statistics. */
  readonly statistics_lag: number;
}

/** No changeset waits for a checkpoint: SQLite gives one in the commit's own transaction. */
export const NOTHING_UNINDEXED = { unindexed_changesets: 0, unindexed_count_capped: false, oldest_unindexed_at: null, oldest_unindexed_age_ms: null } as const;

export function lagOf(unindexed: Pick<IndexingLag, 'unindexed_changesets' | 'unindexed_count_capped' | 'oldest_unindexed_at' | 'oldest_unindexed_age_ms'>, headCheckpoint: number, statisticsVersion: number): IndexingLag {
  return { ...unindexed, head_checkpoint: headCheckpoint, statistics_version: statisticsVersion, statistics_lag: Math.max(0, headCheckpoint - statisticsVersion) };
}
