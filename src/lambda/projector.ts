import { DynamoDbEngine } from '../engines/dynamodb/engine.js';
import { projectStatistics } from '../projection/statistics.js';
import { sharedDynamoDbClient, tablesFromEnvironment } from './environment.js';

/** The `projector` Lambda, every minute: brings the statistics up to the global order's head. */
export async function handler(): Promise<void> {
  const engine = new DynamoDbEngine({ client: sharedDynamoDbClient(), tables: tablesFromEnvironment() });
  const statistics = await projectStatistics(engine);
  console.log(JSON.stringify({ projected: statistics }));
}
