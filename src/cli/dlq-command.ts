import { Flags } from '@oclif/core';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { EesError } from '../core/errors.js';
import type { DeadLetter, DeadLetterQueue } from '../operations/dead-letters.js';
import type { StoreResources } from '../operations/store-resources.js';
import { EesCommand } from './base-command.js';
import { storeFlags, storeResourcesFrom } from './store-flags.js';

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The base of `ees dlq list|show|redrive`: the queues, from the stack's outputs or the flags. */
export abstract class DlqCommand extends EesCommand {
  static override enableJsonFlag = true;

  static override baseFlags = {
    ...EesCommand.baseFlags,
    ...storeFlags,
    queue: Flags.string({ description: 'Which dead-letter queue.', options: ['indexer', 'publisher', 'both'], default: 'both' }),
    'indexer-queue-url': Flags.string({ description: 'The indexer\'s dead-letter queue, instead of the stack\'s.', helpGroup: 'STORE' }),
    'publisher-queue-url': Flags.string({ description: 'The publisher\'s dead-letter queue, instead of the stack\'s.', helpGroup: 'STORE' }),
    'sqs-endpoint': Flags.string({ description: 'A local SQS endpoint instead of AWS.', helpGroup: 'STORE' }),
    'changesets-topic': Flags.string({ description: 'The changesets topic ARN (publisher redrive), instead of the stack\'s.', helpGroup: 'STORE' }),
    'events-topic': Flags.string({ description: 'The events topic ARN (publisher redrive), instead of the stack\'s.', helpGroup: 'STORE' }),
    'sns-endpoint': Flags.string({ description: 'A local SNS endpoint instead of AWS.', helpGroup: 'STORE' }),
  };

  protected resources: StoreResources | undefined;
  protected sqs: SQSClient | undefined;

  protected async open(flags: Record<string, unknown>): Promise<{ queues: [DeadLetterQueue, string][]; sqs: SQSClient }> {
    const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name]) : undefined);
    this.resources = await storeResourcesFrom(flags, this.config.configDir, {
      indexerQueue: text('indexer-queue-url'),
      publisherQueue: text('publisher-queue-url'),
      changesetsTopic: text('changesets-topic'),
      eventsTopic: text('events-topic'),
    });
    const wanted: DeadLetterQueue[] = flags['queue'] === 'indexer' ? ['indexer'] : flags['queue'] === 'publisher' ? ['publisher'] : ['indexer', 'publisher'];
    const queues = wanted.flatMap((name): [DeadLetterQueue, string][] => {
      const url = this.resources!.deadLetterQueues[name];
      return url === undefined ? [] : [[name, url]];
    });
    if (queues.length === 0) throw new EesError('INVALID_USAGE', `No ${wanted.join(' or ')} dead-letter queue is known for ${this.resources.source}: deploy the current stack, or pass --indexer-queue-url / --publisher-queue-url.`);
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const endpoint = text('sqs-endpoint');
    this.sqs = new SQSClient(endpoint === undefined ? { region: this.resources.region } : { region: this.resources.region, endpoint, credentials: LOCAL_CREDENTIALS });
    return { queues, sqs: this.sqs };
  }

  protected json(flags: { json?: boolean | undefined }): boolean {
    return flags.json === true || !process.stdout.isTTY;
  }

  protected print(line: string): void {
    process.stdout.write(`${line}\n`);
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.sqs?.destroy();
    return super.finally(error);
  }
}

/** A dead letter as `ees dlq` prints it in JSON. */
export function letterAsJson(queue: DeadLetterQueue, letter: DeadLetter): Record<string, unknown> {
  const record = letter.record;
  return {
    queue,
    message_id: letter.messageId,
    sent_at: letter.sentAt ?? null,
    receive_count: letter.receiveCount,
    ...(record === undefined
      ? { body: letter.body }
      : {
          condition: record.condition ?? null,
          function_error: record.functionError ?? null,
          request_id: record.requestId ?? null,
          function_arn: record.functionArn ?? null,
          failed_at: record.failedAt ?? null,
          stream_arn: record.batch.streamArn,
          shard_id: record.batch.shardId,
          start_sequence_number: record.batch.startSequenceNumber,
          end_sequence_number: record.batch.endSequenceNumber,
          batch_size: record.batch.batchSize ?? null,
          first_arrival: record.batch.firstArrival ?? null,
          last_arrival: record.batch.lastArrival ?? null,
        }),
  };
}

/** One line for people. */
export function letterLine(queue: DeadLetterQueue, letter: DeadLetter): string {
  const record = letter.record;
  if (record === undefined) return `${queue}  ${letter.messageId}  (not a stream failure record)`;
  const { batch } = record;
  return `${queue}  ${letter.messageId}  ${record.failedAt ?? letter.sentAt ?? ''}  ${record.condition ?? 'failed'}  ${batch.batchSize ?? '?'} record(s) ${batch.startSequenceNumber}…${batch.endSequenceNumber} of ${batch.shardId}, first arrived ${batch.firstArrival ?? '?'}  request ${record.requestId ?? '?'}`;
}
