import type { Context } from 'aws-lambda';
import { projectStatistics } from '../projection/statistics.js';
import { dynamoDbEngine } from './container.js';
import { observed } from './observability.js';

/** The `projector` Lambda, every minute: brings the statistics up to the global order's head. */
export async function handler(_event?: unknown, context?: Context): Promise<void> {
  await observed(context, async ({ logger }) => {
    const statistics = await projectStatistics(dynamoDbEngine());
    logger.info('Projected', { statistics });
  });
}
