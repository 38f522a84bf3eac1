import { describe, expect, it } from 'vitest';
import { runCli, startDevProcess } from '../support/processes.js';
import { dynamodbEndpoint, uniquePrefix } from './support.js';

describe('ees dev --engine dynamodb as a process', () => {
  it('serves the API on DynamoDB, indexes commits into the global order, and exits 0 on SIGTERM', async () => {
    const dev = await startDevProcess(['--engine', 'dynamodb', '--port', '0', '--dynamodb-endpoint', dynamodbEndpoint(), '--table-prefix', uniquePrefix('devproc')]);
    try {
      expect(dev.output().stdout).toContain('tables t-devproc-');
      const env = { EES_ENDPOINT: dev.url };
      expect((await runCli(['append', 'ddb', '--json'], { input: '[1,2]', env })).stdout).toBe('{"stream_id":"ddb","changeset_id":1}\n');
      expect((await runCli(['append', 'ddb', '--expect', '1'], { input: '{"type":"x"}', env })).code).toBe(0);
      let lines: string[] = [];
      for (let attempt = 0; attempt < 50 && lines.length < 2; attempt++) {
        lines = (await runCli(['tail', '--from-checkpoint', '0'], { env })).stdout.trim().split('\n').filter(Boolean);
      }
      expect(lines.map((line) => JSON.parse(line) as { checkpoint: number; changeset_id: number })).toMatchObject([
        { changeset_id: 1, checkpoint: 0 },
        { changeset_id: 2, checkpoint: 1 },
      ]);
    } finally {
      expect(await dev.stop('SIGTERM')).toBe(0);
    }
  });

  it('says how to get DynamoDB Local when it cannot start it', async () => {
    const result = await runCli(['dev', '--engine', 'dynamodb', '--port', '0'], { env: { PATH: '/nonexistent' } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^ees: DynamoDB Local needs Java.*--dynamodb-endpoint/);
  });
});
