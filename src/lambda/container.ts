/**
 * The one place a Lambda container's long-lived parts are made: SDK clients, the engine, the
 * indexer and the publisher, each on first use (a cold start pays only for what its function
 * uses) and then kept for the container's life. The entry points (api.ts, indexer.ts, …) only
 * take them from here.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbEngine } from '../engines/dynamodb/engine.js';
import { GlobalIndexer } from '../engines/dynamodb/indexer.js';
import { createPublisher, type Publisher } from '../publisher/publisher.js';
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
export function globalIndexer(): GlobalIndexer {
  indexer ??= new GlobalIndexer({ client: dynamoDbClient(), tables: tablesFromEnvironment() });
  return indexer;
}

let publisher: Publisher | undefined;
export function snsPublisher(): Publisher {
  if (publisher === undefined) {
    const { metaTable, ...topics } = publisherEnvironment();
    publisher = createPublisher({ sns: snsClient(), ...topics, progress: dynamoDbPublishProgress(dynamoDbClient(), metaTable) });
  }
  return publisher;
}
