import { GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expectationHolds, MAX_CONSUMERS, type ConsumerExpectation, type ConsumerPosition, type ConsumerSaveOutcome } from '../../core/consumers.js';
import { isConditionalCheckFailure, num, readNumber, str } from './items.js';
import { META_ITEMS } from './schema.js';

/** The meta table's item holding every consumer. */
const CONSUMERS_ITEM = 'consumers';

/** Attempts at the conditional put while other consumers' saves keep landing first. */
const MAX_ATTEMPTS = 20;

interface ConsumersItem {
  readonly version: number | undefined;
  readonly positions: Map<string, number>;
}

/**
 * Consumers on DynamoDB: one meta-table item maps every name to its position, and each change
 * rewrites it with a conditional put on its version. One item keeps the api function's grants to
 * GetItem and PutItem (listing needs no Scan, deleting no DeleteItem), and a store has few
 * consumers that move once per batch, far below the 1,000 writes/s of one key. MAX_CONSUMERS keeps
 * the item well under 400 KB.
 */
export class DynamoDbConsumers {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly metaTable: string,
  ) {}

  /** The indexer's next checkpoint: every checkpoint below it is assigned. */
  async readHead(): Promise<number> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.metaTable, Key: { id: str(META_ITEMS.counter) }, ConsistentRead: true }));
    return result.Item === undefined ? 0 : (readNumber(result.Item, 'next_checkpoint') ?? 0);
  }

  private async load(): Promise<ConsumersItem> {
    const result = await this.client.send(new GetItemCommand({ TableName: this.metaTable, Key: { id: str(CONSUMERS_ITEM) }, ConsistentRead: true }));
    const positions = new Map<string, number>();
    for (const [name, value] of Object.entries(result.Item?.['positions']?.M ?? {})) positions.set(name, Number(value.N));
    return { version: result.Item === undefined ? undefined : readNumber(result.Item, 'version'), positions };
  }

  /** Writes the map if nobody changed it since `loaded`; false when someone did. */
  private async store(loaded: ConsumersItem, positions: Map<string, number>): Promise<boolean> {
    const version = (loaded.version ?? 0) + 1;
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.metaTable,
          Item: {
            id: str(CONSUMERS_ITEM),
            version: num(version),
            positions: { M: Object.fromEntries([...positions].map(([name, position]) => [name, num(position)])) },
          },
          ConditionExpression: loaded.version === undefined ? 'attribute_not_exists(id)' : 'version = :version',
          ...(loaded.version === undefined ? {} : { ExpressionAttributeValues: { ':version': num(loaded.version) } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /** Applies `change` to the latest map until its put lands (or it asks for no write). */
  private async update<T>(change: (positions: Map<string, number>) => { result: T; write: boolean }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.load();
      const positions = new Map(loaded.positions);
      const { result, write } = change(positions);
      if (!write || (await this.store(loaded, positions))) return result;
      if (attempt >= MAX_ATTEMPTS) throw new Error(`The consumers item stayed contended after ${attempt} attempts.`);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(200, 5 * 2 ** attempt)));
    }
  }

  async read(name: string): Promise<number | undefined> {
    return (await this.load()).positions.get(name);
  }

  async list(): Promise<ConsumerPosition[]> {
    const { positions } = await this.load();
    return [...positions].map(([name, position]) => ({ name, position })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  save(name: string, position: number, expectation: ConsumerExpectation): Promise<ConsumerSaveOutcome> {
    return this.update<ConsumerSaveOutcome>((positions) => {
      const current = positions.get(name);
      if (!expectationHolds(expectation, current)) return { result: { status: 'conflict', current }, write: false };
      if (current === undefined && positions.size >= MAX_CONSUMERS) return { result: { status: 'full' }, write: false };
      positions.set(name, position);
      return { result: { status: 'saved' }, write: true };
    });
  }

  delete(name: string): Promise<boolean> {
    return this.update((positions) => {
      const existed = positions.delete(name);
      return { result: existed, write: existed };
    });
  }
}
