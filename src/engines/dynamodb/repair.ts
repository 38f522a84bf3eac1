import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { changesetKeyId } from './items.js';
import { GlobalIndexer, type ChangesetKey } from './indexer.js';
import type { TableNames } from './schema.js';
import { unindexedBatches } from './unindexed.js';

export interface RepairOptions {
  readonly client: DynamoDBClient;
  readonly tables: TableNames;
  /** Report what would be assigned, and write nothing. */
  readonly dryRun?: boolean;
  /** Changesets handed to the indexer at once (one counter update per batch). Default 1,000. */
  readonly batchSize?: number;
  /**
   * Told after every batch the repair indexed: the hook for a "repair actions" metric (issue 19
   * item 4). Not called on a dry run.
   */
  readonly onRepairAction?: (action: { readonly assigned: number; readonly nextCheckpoint: number }) => void;
}

export interface RepairReport {
  readonly dryRun: boolean;
  /** Changesets the unindexed index listed (it may still list some just indexed). */
  readonly listed: number;
  /** Checkpoints assigned (dry run: that would be assigned), predecessors included. */
  readonly assigned: number;
  /** Assignments an interrupted indexer recorded and had not written; the indexer writes them first. */
  readonly interrupted: number;
  readonly streams: number;
  readonly oldestCommittedAt: string | null;
  /** The counter after the repair (dry run: now). */
  readonly nextCheckpoint: number;
}

/**
 * Gives checkpoints to committed changesets that have none, through the indexer itself: the
 * unindexed index (unindexed.ts) names the candidates, oldest first, and GlobalIndexer.index does
 * the rest with its usual guarantees (its consistent reads skip what is indexed meanwhile, its
 * conditional counter update makes it safe beside the running indexer, its recorded assignment
 * makes it safe to interrupt). Reads only what waits, never the whole table.
 */
export async function repairUnindexed(options: RepairOptions): Promise<RepairReport> {
  let nextCheckpoint = 0;
  const indexer = new GlobalIndexer({
    client: options.client,
    tables: options.tables,
    onIndexed: (next) => {
      nextCheckpoint = next;
    },
  });
  const dryRun = options.dryRun === true;
  const before = await indexer.plan([]);
  nextCheckpoint = before.next;
  // Counted once: the indexer writes an interrupted assignment before anything else.
  const seen = new Set(before.pending.map((key) => changesetKeyId(key.streamId, key.changesetId)));
  const streams = new Set<string>();
  let listed = 0;
  let assigned = 0;
  let oldestCommittedAt: string | null = null;

  for await (const entries of unindexedBatches(options.client, options.tables, options.batchSize ?? 1000)) {
    listed += entries.length;
    for (const entry of entries) if (oldestCommittedAt === null || entry.committedAt < oldestCommittedAt) oldestCommittedAt = entry.committedAt;
    const keys: ChangesetKey[] = entries.map(({ streamId, changesetId }) => ({ streamId, changesetId }));
    if (!dryRun) {
      const result = await indexer.index(keys);
      assigned += result.assigned;
      for (const key of keys) streams.add(key.streamId);
      if (result.assigned > 0) options.onRepairAction?.({ assigned: result.assigned, nextCheckpoint });
      continue;
    }
    // Predecessors of one batch may be listed in a later one: count each changeset once.
    for (const key of (await indexer.plan(keys)).unindexed) {
      const id = changesetKeyId(key.streamId, key.changesetId);
      if (seen.has(id)) continue;
      seen.add(id);
      streams.add(key.streamId);
      assigned++;
    }
  }
  return { dryRun, listed, assigned, interrupted: before.pending.length, streams: streams.size, oldestCommittedAt, nextCheckpoint };
}
