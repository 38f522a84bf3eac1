/**
 * A loopback proxy in front of DynamoDB Local that asks for `ReturnConsumedCapacity` on every
 * data-plane request and adds up what comes back, so the Lambda bundles (whose clients the bench
 * cannot reach) are counted at the wire, the same way for every system measured.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

export interface CapacityTally {
  requests: number;
  readRequests: number;
  writeRequests: number;
  /** Capacity units as DynamoDB Local reports them. */
  localReadUnits: number;
  localWriteUnits: number;
  /**
   * Write units as AWS bills them: DynamoDB Local (3.3.0) reports a transaction of n items as
   * the units of one, so a transaction counts n times that (the bench's items in one are alike).
   */
  awsWriteUnits: number;
  /**
   * Read units as AWS bills them: DynamoDB Local reports 0 for a read that finds nothing, AWS
   * charges it as one 4 KB read (0.5 eventually consistent, 1 strongly consistent).
   */
  awsReadUnits: number;
  failures: number;
}

export const emptyTally = (): CapacityTally => ({ requests: 0, readRequests: 0, writeRequests: 0, localReadUnits: 0, localWriteUnits: 0, awsWriteUnits: 0, awsReadUnits: 0, failures: 0 });

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
}

function bodyOf(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function count(tally: CapacityTally, operation: string, input: Record<string, unknown>, output: Record<string, unknown> | undefined): void {
  tally.requests++;
  if (output === undefined) {
    tally.failures++;
    return;
  }
  const consumed = [output['ConsumedCapacity'] as ConsumedCapacity | ConsumedCapacity[] | undefined].flat();
  const units = consumed.reduce((sum: number, entry) => sum + (entry?.CapacityUnits ?? 0), 0);
  if (WRITES.has(operation)) {
    tally.writeRequests++;
    tally.localWriteUnits += units;
    tally.awsWriteUnits += operation === 'TransactWriteItems' ? units * ((input['TransactItems'] as unknown[] | undefined)?.length ?? 1) : units;
  } else if (READS.has(operation)) {
    tally.readRequests++;
    tally.localReadUnits += units;
    tally.awsReadUnits += units > 0 ? units : input['ConsistentRead'] === true ? 1 : 0.5;
  }
}

export interface CapacityProxy {
  readonly endpoint: string;
  /** What was counted since the last `reset`. */
  tally: CapacityTally;
  reset(): CapacityTally;
  close(): Promise<void>;
}

export async function startCapacityProxy(target: string): Promise<CapacityProxy> {
  const proxy = {
    tally: emptyTally(),
    reset(): CapacityTally {
      const counted = proxy.tally;
      proxy.tally = emptyTally();
      return counted;
    },
  };
  const server = createServer((request, response) => {
    void (async () => {
      const operation = String(request.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      const raw = await bodyOf(request);
      const input = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
      if (READS.has(operation) || WRITES.has(operation)) input['ReturnConsumedCapacity'] = 'TOTAL';
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'x-amz-target', 'authorization', 'x-amz-date', 'x-amz-security-token']) {
        const value = request.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      // DynamoDB Local does not check signatures, so the changed body is accepted.
      const upstream = await fetch(target, { method: 'POST', headers, body: JSON.stringify(input) });
      const text = await upstream.text();
      count(proxy.tally, operation, input, upstream.ok ? (JSON.parse(text) as Record<string, unknown>) : undefined);
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/x-amz-json-1.0' });
      response.end(text);
    })().catch((error: unknown) => {
      response.writeHead(500);
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
