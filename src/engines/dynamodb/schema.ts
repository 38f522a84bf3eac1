/**
 * The DynamoDB tables, defined once: `ees dev --engine dynamodb` and the tests create them from
 * these definitions, and the CDK stack builds its tables from the very same objects.
 *
 * Events table (the seed's data model): one item per changeset, `stream_id` + `changeset_id` as
 * the key, `events` and `metadata` as JSON strings, `first_event_id` and `last_event_id`, a local
 * index over the last event id (event-range reads and the stream's head), and a global index
 * enumerating the global order (checkpoint = page × 1000 + page_item), whose keys the indexer adds. The indexes project keys only: DynamoDB counts projected copies against the 400 KB
 * item limit, and a changeset may use nearly all of it. Reads find keys in an index and the items
 * in the table.
 *
 * Meta table: the indexer's counter item and the projected statistics.
 */
export type KeyType = 'S' | 'N';

export interface KeyDefinition {
  readonly name: string;
  readonly type: KeyType;
}

export interface TableDefinition {
  /** The layout's version: a change to the key schema or the local indexes needs a new table. */
  readonly version: number;
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
  readonly localIndexes: readonly { readonly indexName: string; readonly sortKey: KeyDefinition }[];
  readonly globalIndexes: readonly { readonly indexName: string; readonly partitionKey: KeyDefinition; readonly sortKey: KeyDefinition }[];
  /** The DynamoDB stream the indexer and publisher read, if any. */
  readonly stream?: 'NEW_IMAGE';
}

export const PAGE_SIZE = 1000;

export const EVENTS_INDEXES = {
  lastEvent: 'last_event_id',
  globalOrder: 'global_order',
  unindexed: 'unindexed',
  streamList: 'stream_list',
} as const;

/**
 * The commit marks each changeset with `unindexed_shard` (0 to UNINDEXED_SHARDS - 1) and the
 * indexer removes the mark in the update that gives it its checkpoint, so the sparse `unindexed`
 * index lists exactly the changesets still waiting, oldest first per shard: lag and repair read
 * that, never the whole table (docs/operating.md). Sharded so that its writes (one per commit, one
 * per checkpoint) stay far below DynamoDB's 1,000 writes/s per partition key.
 */
export const UNINDEXED_SHARDS = 16;

/**
 * The stream list index is sparse: only a stream's first changeset carries `stream_bucket`, so it
 * holds one entry per stream, sorted by stream id within each bucket. Commits that open a stream
 * write through this many index partitions (a partition key takes about 1,000 writes/s), and a
 * listing page merges this many queries.
 */
export const STREAM_LIST_BUCKETS = 4;

/**
 * Version 2 dropped version 1's local index over `first_event_id`, which no read used and every
 * commit paid a write for. Local indexes are fixed when a table is created: a version 1 table
 * keeps working with this code (nothing queries the index, commits still pay for it), and losing
 * the index takes a new table and a copy of the items (docs/cost.md, "Upgrading a table").
 */
export const EVENTS_TABLE: TableDefinition = {
  version: 2,
  partitionKey: { name: 'stream_id', type: 'S' },
  sortKey: { name: 'changeset_id', type: 'N' },
  localIndexes: [
    { indexName: EVENTS_INDEXES.lastEvent, sortKey: { name: 'last_event_id', type: 'N' } },
  ],
  globalIndexes: [
    { indexName: EVENTS_INDEXES.globalOrder, partitionKey: { name: 'page', type: 'N' }, sortKey: { name: 'page_item', type: 'N' } },
    // A global index can be added to a deployed table in place (CloudFormation backfills it).
    { indexName: EVENTS_INDEXES.unindexed, partitionKey: { name: 'unindexed_shard', type: 'N' }, sortKey: { name: 'timestamp', type: 'S' } },
    { indexName: EVENTS_INDEXES.streamList, partitionKey: { name: 'stream_bucket', type: 'N' }, sortKey: { name: 'stream_id', type: 'S' } },
  ],
  stream: 'NEW_IMAGE',
};

/**
 * Version 1, as stacks deployed before version 2 have it: the stack keeps this layout for them,
 * because CloudFormation would answer a changed local index with a new, empty table.
 */
export const EVENTS_TABLE_V1: TableDefinition = {
  ...EVENTS_TABLE,
  version: 1,
  localIndexes: [{ indexName: 'first_event_id', sortKey: { name: 'first_event_id', type: 'N' } }, ...EVENTS_TABLE.localIndexes],
};

export const META_TABLE: TableDefinition = {
  version: 1,
  partitionKey: { name: 'id', type: 'S' },
  localIndexes: [],
  globalIndexes: [],
};

/** Ids of the meta table's items. */
export const META_ITEMS = {
  counter: 'global-counter',
  statistics: 'statistics',
} as const;

export interface TableNames {
  readonly events: string;
  readonly meta: string;
}

/** Table names from a prefix, as the stack and `ees dev` name them. */
export function tableNames(prefix: string): TableNames {
  return { events: `${prefix}-events`, meta: `${prefix}-meta` };
}

/** The CreateTable request of a definition: on-demand billing, every index projecting keys only. */
export function createTableInput(definition: TableDefinition, tableName: string) {
  const keys = [definition.partitionKey, definition.sortKey, ...definition.localIndexes.map((index) => index.sortKey)]
    .concat(definition.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]))
    .filter((key): key is KeyDefinition => key !== undefined);
  const attributes = [...new Map(keys.map((key) => [key.name, key])).values()];
  const keySchema = (partition: KeyDefinition, sort?: KeyDefinition) => [
    { AttributeName: partition.name, KeyType: 'HASH' as const },
    ...(sort === undefined ? [] : [{ AttributeName: sort.name, KeyType: 'RANGE' as const }]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: attributes.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
    KeySchema: keySchema(definition.partitionKey, definition.sortKey),
    ...(definition.localIndexes.length === 0
      ? {}
      : {
          LocalSecondaryIndexes: definition.localIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(definition.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }),
    ...(definition.globalIndexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: definition.globalIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: { ProjectionType: 'KEYS_ONLY' as const },
          })),
        }),
    ...(definition.stream === undefined ? {} : { StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream } }),
  };
}
