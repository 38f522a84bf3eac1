import { startDevProcess } from '../support/processes.js';
import { describeEmmettSuite } from '../emmett/emmett-suite.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

describeEmmettSuite('ees dev on DynamoDB Local', async () => {
  const dev = await startDevProcess(['--engine', 'dynamodb', '--port', '0', '--dynamodb-endpoint', dynamodbEndpoint(), '--table-prefix', uniquePrefix('emmett')]);
  return { url: dev.url, stop: () => dev.stop() };
});
