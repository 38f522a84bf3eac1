import { projectStatistics } from '../projection/statistics.js';
import { dynamoDbEngine } from './container.js';

/** The `projector` Lambda, every minute: brings the statistics up to the global order's head. */
export async function handler(): Promise<void> {
  const statistics = await projectStatistics(dynamoDbEngine());
  console.log(JSON.stringify({ projected: statistics }));
}
