/** Types shared by the rules, the engines and the HTTP layer. */

/** The last changeset and event ids of a stream; both 0 for a stream that does not exist. */
export interface StreamHead {
  readonly lastChangesetId: number;
  readonly lastEventId: number;
}

export const EMPTY_HEAD: StreamHead = { lastChangesetId: 0, lastEventId: 0 };

/**
 * A changeset as stored. `events` (a JSON array) and `metadata` (a JSON object) are kept as the
 * compact JSON text they were written as, so reads can return them without re-parsing.
 */
export interface StoredChangeset {
  readonly streamId: string;
  readonly changesetId: number;
  readonly firstEventId: number;
  readonly lastEventId: number;
  readonly events: string;
  readonly metadata: string;
  /** Position in the global order; null while not yet assigned (DynamoDB indexes asynchronously). */
  readonly checkpoint: number | null;
  /** When it was committed, ISO 8601 UTC, as stored. */
  readonly committedAt?: string | undefined;
}

/** A stream's head with the commit time of its last changeset. */
export interface StreamSummary extends StreamHead {
  readonly streamId: string;
  readonly committedAt: string;
}

export type Expectation =
  | { readonly kind: 'changeset'; readonly value: number }
  | { readonly kind: 'event'; readonly value: number };

/** A validated changeset, ready to be committed. */
export interface NewChangeset {
  readonly streamId: string;
  readonly expectation: Expectation;
  /** Compact JSON of the non-empty events array. */
  readonly events: string;
  readonly eventCount: number;
  /** Compact JSON of the metadata object. */
  readonly metadata: string;
  /** The client's commit id (Idempotency-Key): a retry with the same one is answered with the original. */
  readonly commitId?: string | undefined;
}

export type CommitOutcome =
  | { readonly status: 'committed'; readonly changesetId: number; readonly checkpoint: number | null }
  /** A commit with this commit id and expectation is stored already: its changeset. */
  | { readonly status: 'replayed'; readonly changesetId: number }
  /** The commit id is stored with this expectation but a different body. */
  | { readonly status: 'commit_id_reused'; readonly changesetId: number }
  /** Another writer got there first: the expectation is behind the stream. */
  | { readonly status: 'behind'; readonly head: StreamHead }
  /** The expectation names a changeset or event the stream does not have yet. */
  | { readonly status: 'ahead'; readonly head: StreamHead };

export interface Statistics {
  readonly total_streams: number;
  readonly total_changesets: number;
  readonly total_events: number;
  readonly max_stream_length: number;
  /** The next checkpoint the projection will read. */
  readonly statistics_version: number;
}

export const EMPTY_STATISTICS: Statistics = {
  total_streams: 0,
  total_changesets: 0,
  total_events: 0,
  max_stream_length: 0,
  statistics_version: 0,
};

/** The largest exact JS integer: the bound of an open-ended range in a storage query. */
export const OPEN_END = Number.MAX_SAFE_INTEGER;

/** An inclusive range of ids; `to` is Infinity when open-ended. */
export interface IdRange {
  readonly from: number;
  readonly to: number;
}
