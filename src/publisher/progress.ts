import { GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailure, num, readNumber, str } from '../engines/dynamodb/items.js';

/** The two topics a stream's messages go to. */
export type Topic = 'changesets' | 'events';

/** How far a stream is published: the last changeset id on the changesets topic, the last event id on the events topic. */
export type StreamProgress = Readonly<Record<Topic, number>>;

export const NOTHING_PUBLISHED: StreamProgress = { changesets: 0, events: 0 };

/**
 * Where the publisher records what SNS has accepted, so that a retry resumes after it instead of
 * publishing it again: the FIFO deduplication window (five minutes) is then only needed for the
 * calls that were in flight when an attempt died, not for everything it had published.
 */
export interface PublishProgress {
  read(streamId: string): Promise<StreamProgress>;
  /** Records that the stream's messages on `topic` are published through id `through`; never moves back. */
  record(streamId: string, topic: Topic, through: number): Promise<void>;
}

const ATTRIBUTE: Record<Topic, string> = { changesets: 'changesets_published', events: 'events_published' };

/**
 * Progress in the meta table, one item per stream: `publisher/<stream id>`. Stream ids hold no
 * `/`, so these ids never meet the meta table's other items (the counter, the statistics).
 */
export function dynamoDbPublishProgress(client: DynamoDBClient, metaTable: string): PublishProgress {
  const key = (streamId: string) => ({ id: str(`publisher/${streamId}`) });
  return {
    async read(streamId) {
      const { Item } = await client.send(new GetItemCommand({ TableName: metaTable, Key: key(streamId), ConsistentRead: true }));
      if (Item === undefined) return NOTHING_PUBLISHED;
      return { changesets: readNumber(Item, ATTRIBUTE.changesets) ?? 0, events: readNumber(Item, ATTRIBUTE.events) ?? 0 };
    },
    async record(streamId, topic, through) {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: metaTable,
            Key: key(streamId),
            UpdateExpression: 'SET #through = :through',
            ConditionExpression: 'attribute_not_exists(#through) OR #through < :through',
            ExpressionAttributeNames: { '#through': ATTRIBUTE[topic] },
            ExpressionAttributeValues: { ':through': num(through) },
          }),
        );
      } catch (error) {
        // Already recorded further (a redelivered batch): nothing to do.
        if (!isConditionalCheckFailure(error)) throw error;
      }
    },
  };
}

/** Progress kept in memory, for one process: the tests and benchmarks, where there is no meta table. */
export function memoryPublishProgress(): PublishProgress & { readonly streams: Map<string, StreamProgress> } {
  const streams = new Map<string, StreamProgress>();
  return {
    streams,
    read: async (streamId) => streams.get(streamId) ?? NOTHING_PUBLISHED,
    record: async (streamId, topic, through) => {
      const now = streams.get(streamId) ?? NOTHING_PUBLISHED;
      if (through > now[topic]) streams.set(streamId, { ...now, [topic]: through });
    },
  };
}
