import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceInUseException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { createTableInput, EVENTS_TABLE, META_TABLE, type TableNames } from './schema.js';

/** A client for DynamoDB Local: loopback endpoint and dummy credentials, so no AWS lookup ever runs. */
export function localDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}

/** Creates the tables from the shared definitions when they do not exist; returns the stream ARN. */
export async function ensureTables(client: DynamoDBClient, tables: TableNames): Promise<{ eventsStreamArn: string }> {
  for (const [name, definition] of [
    [tables.events, EVENTS_TABLE],
    [tables.meta, META_TABLE],
  ] as const) {
    try {
      await client.send(new DescribeTableCommand({ TableName: name }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
      try {
        await client.send(new CreateTableCommand(createTableInput(definition, name)));
      } catch (createError) {
        // Another process created it first.
        if (!(createError instanceof ResourceInUseException)) throw createError;
      }
    }
  }
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.events }));
    if (Table?.TableStatus === 'ACTIVE' && Table.LatestStreamArn !== undefined) return { eventsStreamArn: Table.LatestStreamArn };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
