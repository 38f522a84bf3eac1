import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { DynamoDbEngine } from '../engines/dynamodb/engine.js';
import { createApiHandler } from '../http/handler.js';
import { PACKAGE_VERSION } from '../version.js';
import { apiGatewayHandler } from './api-gateway.js';
import { sharedDynamoDbClient, tablesFromEnvironment } from './environment.js';

let handle: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;

/** The `api` Lambda: the whole HTTP API on DynamoDB, behind API Gateway. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  handle ??= apiGatewayHandler(
    createApiHandler({
      // An idle follower costs one index read a second and sees a changeset within a second of its indexing.
      engine: new DynamoDbEngine({ client: sharedDynamoDbClient(), tables: tablesFromEnvironment(), pollIntervalMs: 1_000, reuseEmptyLookMs: 500 }),
      serverVersion: PACKAGE_VERSION,
      logError: (error) => console.error('Unexpected fault', error),
    }),
  );
  return handle(event);
}
