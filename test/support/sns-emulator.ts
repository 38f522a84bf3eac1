import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface ReceivedMessage {
  readonly body: string;
  readonly groupId: string | undefined;
}

/**
 * fauxqs (SNS and SQS) on 127.0.0.1, with the two FIFO topics of the stack, an SQS FIFO queue
 * subscribed to each (raw delivery), and in front of SNS a loopback relay that holds every request
 * for `latencyMs` first, as a real endpoint's round trip would. The relay counts PublishBatch calls.
 */
export interface SnsEmulator {
  /** The relay (with the latency): what the publisher talks to. */
  readonly endpoint: string;
  readonly topics: { readonly changesets: string; readonly events: string };
  /** PublishBatch calls that reached the relay. */
  readonly publishCalls: () => number;
  /** An SNS client for the relay; `refuse` makes it fail every call from then on (a frozen Lambda). */
  snsClient(refuse?: () => boolean): SNSClient;
  /** Everything the topic's subscriber queue has received, waiting until `count` arrived or the deadline passed. */
  receive(topic: 'changesets' | 'events', count: number, deadlineMs?: number): Promise<ReceivedMessage[]>;
  stop(): Promise<void>;
}

export async function startSnsEmulator(options: { latencyMs?: number; prefix?: string } = {}): Promise<SnsEmulator> {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const target = new URL(address);
  let calls = 0;
  const relay: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      if (body.includes('Action=PublishBatch')) calls++;
      setTimeout(() => {
        const forwarded = httpRequest(
          { host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
          (answer) => {
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(outgoing);
          },
        );
        forwarded.on('error', () => outgoing.destroy());
        forwarded.end(body);
      }, options.latencyMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;

  const direct = { region: 'us-east-1', endpoint: address, credentials: CREDENTIALS };
  const sns = new SNSClient(direct);
  const sqs = new SQSClient(direct);
  const prefix = options.prefix ?? 'ees';
  const queues: Record<string, string> = {};
  const topics: Record<string, string> = {};
  for (const name of ['changesets', 'events']) {
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({ Name: `${prefix}-${name}.fifo`, Attributes: { FifoTopic: 'true', FifoThroughputScope: 'MessageGroup' } }),
    );
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${name}-subscriber.fifo`, Attributes: { FifoQueue: 'true' } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: Attributes!['QueueArn'], Attributes: { RawMessageDelivery: 'true' } }));
    topics[name] = TopicArn!;
    queues[name] = QueueUrl!;
  }
  const received: Record<string, ReceivedMessage[]> = { changesets: [], events: [] };

  return {
    endpoint,
    topics: { changesets: topics['changesets']!, events: topics['events']! },
    publishCalls: () => calls,
    snsClient(refuse) {
      const client = new SNSClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
      if (refuse !== undefined) {
        client.middlewareStack.add(
          (next) => async (args) => {
            if (refuse()) throw new Error('The invocation timed out: Lambda froze it.');
            return next(args);
          },
          { step: 'initialize', name: 'frozenAfterTimeout' },
        );
      }
      return client;
    },
    async receive(topic, count, deadlineMs = 60_000) {
      const deadline = Date.now() + deadlineMs;
      const into = received[topic]!;
      while (into.length < count && Date.now() < deadline) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queues[topic], MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['MessageGroupId'] }),
        );
        for (const message of Messages) into.push({ body: message.Body!, groupId: message.Attributes?.['MessageGroupId'] });
        if (Messages.length > 0) {
          await sqs.send(
            new DeleteMessageBatchCommand({ QueueUrl: queues[topic], Entries: Messages.map((message, index) => ({ Id: `d${index}`, ReceiptHandle: message.ReceiptHandle })) }),
          );
        }
      }
      return [...into];
    },
    async stop() {
      sns.destroy();
      sqs.destroy();
      const closed = new Promise<void>((resolve) => relay.close(() => resolve()));
      relay.closeAllConnections();
      await closed;
      await app.close();
    },
  };
}
