import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createApiHandler } from '../http/handler.js';
import { PACKAGE_VERSION } from '../version.js';
import { apiGatewayHandler } from './api-gateway.js';
import { dynamoDbEngine } from './container.js';
import { count, METRIC_NAMES, observability, observed } from './observability.js';

let handle: ((event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>) | undefined;

const COMMIT_RESOURCE = '/streams/{stream_id}';

/** The `api` Lambda: the whole HTTP API on DynamoDB, behind API Gateway. */
export async function handler(event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> {
  return observed(context, async ({ logger, metrics }) => {
    handle ??= apiGatewayHandler(
      createApiHandler({ engine: dynamoDbEngine(), serverVersion: PACKAGE_VERSION, logError: (error) => observability().logger.error('Unexpected fault', { error: error as Error }) }),
      (message, details) => observability().logger.error(message, details),
    );
    const result = await handle(event);
    if (event.httpMethod === 'POST' && event.resource === COMMIT_RESOURCE) {
      const streamId = event.pathParameters?.['stream_id'];
      if (result.statusCode === 200) {
        count(metrics, METRIC_NAMES.commits, 1);
        const { changeset_id: changesetId } = JSON.parse(result.body) as { changeset_id?: number };
        logger.info('Committed', { stream_id: streamId, changeset_id: changesetId });
      } else if (result.statusCode === 409) {
        count(metrics, METRIC_NAMES.conflicts, 1);
        logger.info('Conflict', { stream_id: streamId, status: result.statusCode });
      }
    }
    return result;
  });
}
