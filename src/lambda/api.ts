import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { createApiHandler } from '../http/handler.js';
import { PACKAGE_VERSION } from '../version.js';
import { apiGatewayHandler } from './api-gateway.js';
import { dynamoDbEngine } from './container.js';

let handle: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;

/** The `api` Lambda: the whole HTTP API on DynamoDB, behind API Gateway. */
export async function handler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  handle ??= apiGatewayHandler(createApiHandler({ engine: dynamoDbEngine(), serverVersion: PACKAGE_VERSION, logError: (error) => console.error('Unexpected fault', error) }));
  return handle(event);
}
