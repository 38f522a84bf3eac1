import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EesError } from '../core/errors.js';
import { DynamoDbEngine } from '../engines/dynamodb/engine.js';
import { GlobalIndexer } from '../engines/dynamodb/indexer.js';
import type { StreamFailureRecord } from '../engines/dynamodb/stream-mapping.js';
import { tableNames } from '../engines/dynamodb/schema.js';
import { ensureTables, localDynamoDbClient } from '../engines/dynamodb/tables.js';
import { createApiHandler } from '../http/handler.js';
import { startNodeHost } from '../http/node-host.js';
import { apiGatewayHandler } from '../lambda/api-gateway.js';
import { StatisticsScheduler } from '../projection/statistics.js';
import { PACKAGE_VERSION } from '../version.js';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from './dynamodb-local.js';
import { emulateApiGateway } from './api-gateway-emulation.js';
import { StreamPoller } from './stream-poller.js';

export interface DynamoDbStoreOptions {
  readonly host: string;
  readonly port: number;
  /** A running DynamoDB (Local); without it, DynamoDB Local is started and stopped with the store. */
  readonly dynamodbEndpoint?: string | undefined;
  readonly tablePrefix?: string;
  readonly logError?: (error: unknown) => void;
  /** Require `Authorization: Bearer <token>` on every request. */
  readonly token?: string;
  /** Aborted to give up starting: DynamoDB Local, if started, is stopped again. */
  readonly signal?: AbortSignal;
  /**
   * How often a long poll looks at the global index when the indexer has not woken it (default
   * 1 s). Tests set it beyond any wait, so that only a wake-up can end one.
   */
  readonly longPollIntervalMs?: number;
  /**
   * False: no projector runs in the background, statistics move only when someone projects them
   * (the engine suite, whose crash test must be the only projector). Default true.
   */
  readonly projectStatistics?: boolean;
  /**
   * The indexer's on-failure destination: each stream batch given up on is appended here as one
   * JSON line, in the shape AWS sends to the stack's dead-letter queue (and logged).
   */
  readonly deadLetterFile?: string;
}

export interface RunningDynamoDbStore {
  readonly url: string;
  readonly port: number;
  readonly dynamodbEndpoint: string;
  readonly tables: { events: string; meta: string };
  readonly engine: DynamoDbEngine;
  /** The engine's DynamoDB client. */
  readonly client: DynamoDBClient;
  /** Resolves once everything committed so far is indexed. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const NETWORK_FAULTS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** A DynamoDB that does not answer becomes one clear line (exit code 5); other errors stay as they are. */
function unreachableOr(error: unknown, endpoint: string): unknown {
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !NETWORK_FAULTS.has(code)) return error;
  return new EesError('ENDPOINT_UNREACHABLE', `DynamoDB at ${endpoint} does not answer (${code}): start it, or check --dynamodb-endpoint.`, { cause: error });
}

/**
 * `ees dev --engine dynamodb`: the deployed stack's parts on DynamoDB Local. The API runs through
 * the API Gateway adapter the `api` Lambda uses; an in-process stream poller feeds the indexer
 * Lambda's handler with Lambda's batches; the projector runs after indexing.
 */
export async function startDynamoDbStore(options: DynamoDbStoreOptions): Promise<RunningDynamoDbStore> {
  const logError = options.logError ?? ((error: unknown) => console.error(error));
  let local: RunningDynamoDbLocal | undefined;
  const endpoint = options.dynamodbEndpoint ?? (local = await startDynamoDbLocal({ signal: options.signal })).endpoint;
  const client = localDynamoDbClient(endpoint);
  const streamsClient = new DynamoDBStreamsClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tables = tableNames(options.tablePrefix ?? 'ees-dev');
  const cleanup = async (): Promise<void> => {
    client.destroy();
    streamsClient.destroy();
    await local?.stop();
  };

  try {
    let eventsStreamArn: string;
    try {
      ({ eventsStreamArn } = await ensureTables(client, tables));
    } catch (error) {
      throw unreachableOr(error, endpoint);
    }
    const engine = new DynamoDbEngine({ client, tables, pollIntervalMs: options.longPollIntervalMs ?? 1_000 });
    const statistics = options.projectStatistics === false ? undefined : new StatisticsScheduler(engine, 100, logError);
    const indexer = new GlobalIndexer({
      client,
      tables,
      onIndexed: (next) => {
        engine.notifyIndexed(next);
        statistics?.trigger();
      },
    });
    const deadLetter = async (failure: StreamFailureRecord, error: unknown): Promise<void> => {
      const { shardId, startSequenceNumber, endSequenceNumber, batchSize } = failure.DDBStreamBatchInfo;
      const where = options.deadLetterFile === undefined ? '' : `; recorded in ${options.deadLetterFile}`;
      logError(new Error(`The indexer gave up on ${batchSize} stream record(s) of shard ${shardId} (${startSequenceNumber} to ${endSequenceNumber}) after ${failure.requestContext.approximateInvokeCount} attempts${where}: ${String(error)}`));
      if (options.deadLetterFile === undefined) return;
      await mkdir(dirname(options.deadLetterFile), { recursive: true });
      await appendFile(options.deadLetterFile, `${JSON.stringify(failure)}\n`);
    };
    const poller = new StreamPoller({ client: streamsClient, streamArn: eventsStreamArn, handler: (event) => indexer.handle(event), onError: logError, onFailure: deadLetter });
    poller.start();
    statistics?.trigger();

    // A commit makes the poller look at the stream at once, instead of at its next idle tick.
    const handler = createApiHandler({ engine, serverVersion: PACKAGE_VERSION, onCommitted: () => poller.wake(), logError });
    // The host admits callers (token, Host, Origin) before the emulated API Gateway reads a body.
    const host = await startNodeHost(emulateApiGateway(apiGatewayHandler(handler), handler.responses), { host: options.host, port: options.port, token: options.token });
    return {
      url: host.url,
      port: host.port,
      dynamodbEndpoint: endpoint,
      tables,
      engine,
      client,
      settle: () => poller.drain(),
      close: async () => {
        // The host's shutdown ends long polls (through the emulated API Gateway's abort signal).
        await host.close();
        await engine.close();
        await poller.stop();
        await statistics?.stop();
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
