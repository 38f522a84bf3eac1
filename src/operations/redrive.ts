import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { GlobalIndexer } from '../engines/dynamodb/indexer.js';
import { repairUnindexed } from '../engines/dynamodb/repair.js';
import type { TableNames } from '../engines/dynamodb/schema.js';
import type { Publisher } from '../publisher/publisher.js';
import { readBatchRecords, type DeadLetter, type DeadLetterQueue } from './dead-letters.js';

export interface RedriveDependencies {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly tables: TableNames;
  /** The publisher Lambda's own code, for the publisher's queue. */
  readonly publisher?: () => Publisher;
}

export type RedriveOutcome =
  /** Done: the letter can go. `assigned`/`records` say what it did (0: it had been done meanwhile). */
  | { readonly done: true; readonly how: 'indexed' | 'repaired' | 'published'; readonly assigned?: number; readonly records?: number }
  | { readonly done: false; readonly reason: string };

/** A publisher redrive gets a whole Lambda invocation's time for the batch (15 minutes). */
const PUBLISH_TIME_MS = 15 * 60_000;

/**
 * Runs a dead letter's batch again through the code that failed on it: the indexer's
 * GlobalIndexer.handle, or the publisher's handler, with the records read again from the stream.
 * Both skip what is done already, so a letter whose changesets were meanwhile indexed (`ees repair`)
 * or published changes nothing. When the stream no longer holds the records, an indexer letter is
 * settled by the repair (which finds unindexed changesets without the stream); a publisher letter
 * cannot be, and stays.
 */
export async function redriveLetter(queue: DeadLetterQueue, letter: DeadLetter, deps: RedriveDependencies): Promise<RedriveOutcome> {
  if (letter.record === undefined) return { done: false, reason: 'its body is not a stream failure record' };
  const batch = await readBatchRecords(deps.streams, letter.record.batch);
  if (queue === 'indexer') {
    if (!batch.available) {
      const report = await repairUnindexed({ client: deps.dynamodb, tables: deps.tables });
      return { done: true, how: 'repaired', assigned: report.assigned };
    }
    const event: DynamoDBStreamEvent = { Records: [...batch.records] };
    const { assigned } = await new GlobalIndexer({ client: deps.dynamodb, tables: deps.tables }).handle(event);
    return { done: true, how: 'indexed', assigned, records: batch.records.length };
  }
  if (!batch.available) return { done: false, reason: `${batch.reason}; the changesets are in the table, but the letter does not say which` };
  if (deps.publisher === undefined) return { done: false, reason: 'the publisher topics are unknown (--changesets-topic and --events-topic, or the stack outputs)' };
  const answer = await deps.publisher()({ Records: [...batch.records] }, { getRemainingTimeInMillis: () => PUBLISH_TIME_MS });
  if (answer.batchItemFailures.length > 0) return { done: false, reason: `the publisher stopped again at sequence number ${answer.batchItemFailures[0]!.itemIdentifier}` };
  return { done: true, how: 'published', records: batch.records.length };
}
