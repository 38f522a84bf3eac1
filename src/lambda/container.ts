/**
 * The one place a Lambda container's long-lived parts are made: SDK clients, the engine, the
 * indexer and the publisher, each on first use (a cold start pays only for what its function
 * uses) and then kept for the container's life. The entry points (api.ts, indexer.ts, …) only
 * take them from here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbEngine } from '../engines/dynamodb/engine.js';
import { GlobalIndexer, type IndexerOptions } from '../engines/dynamodb/indexer.js';
import { createPublisher, type Publisher, type PublisherOptions } from '../publisher/publisher.js';
import { dynamoDbPublishProgress } from '../publisher/progress.js';
import { endpointFromEnvironment, publisherEnvironment, tablesFromEnvironment } from './environment.js';

let dynamoDb: DynamoDBClient | undefined;
export function dynamoDbClient(): DynamoDBClient {
  dynamoDb ??= new DynamoDBClient(endpointFromEnvironment('DYNAMODB'));
  return dynamoDb;
}

let sns: SNSClient | undefined;
export function snsClient(): SNSClient {
  sns ??= new SNSClient(endpointFromEnvironment('SNS'));
  return sns;
}

let engine: DynamoDbEngine | undefined;
export function dynamoDbEngine(): DynamoDbEngine {
  // An idle follower costs one index read a second and sees a changeset within a second of its indexing.
  engine ??= new DynamoDbEngine({ client: dynamoDbClient(), tables: tablesFromEnvironment(), pollIntervalMs: 1_000, reuseEmptyLookMs: 500 });
  return engine;
}

let indexer: GlobalIndexer | undefined;
/** The container's indexer; `reporting` is taken from the first call, which creates it. */
export function globalIndexer(reporting: Pick<IndexerOptions, 'onIndexed'> = {}): GlobalIndexer {
  indexer ??= new GlobalIndexer({ client: dynamoDbClient(), tables: tablesFromEnvironment(), ...reporting });
  return indexer;
}

let publisher: Publisher | undefined;
/** The container's publisher; `reporting` is taken from the first call, which creates it. */
export function snsPublisher(reporting: Pick<PublisherOptions, 'logError' | 'onPublishFailures'> = {}): Publisher {
  if (publisher === undefined) {
    const { metaTable, ...topics } = publisherEnvironment();
    publisher = createPublisher({ sns: snsClient(), ...topics, progress: dynamoDbPublishProgress(dynamoDbClient(), metaTable), ...reporting });
  }
  return publisher;
}
