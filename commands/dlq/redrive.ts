import { Args, Flags } from '@oclif/core';
import { DlqCommand } from '../../src/cli/dlq-command.js';
import { EesError } from '../../src/core/errors.js';
import type { DeadLetter, DeadLetterQueue } from '../../src/operations/dead-letters.js';

export default class DlqRedrive extends DlqCommand {
  static override summary = 'Run dead letters again through the indexer\'s or the publisher\'s own code, and delete those that succeed.';
  static override description = `The batch's records are read again from the table's stream and handed to the code that failed
on them (the indexer's GlobalIndexer, or the publisher's handler). Both skip what is done
already, so a letter whose changesets were indexed or published meanwhile (say by \`ees repair\`)
changes nothing and is deleted. Once the stream no longer holds the records (24 hours), an
indexer letter is settled by the repair instead; a publisher letter stays, with the reason.

Exit codes: 0 every letter redriven, 1 some stayed (the reason is printed), 2 bad usage, 4 no such letter.`;

  static override examples = ['<%= config.bin %> dlq redrive 5f0c…', '<%= config.bin %> dlq redrive --all --queue indexer'];

  static override args = { id: Args.string({ description: 'The message id (or --all).' }) };
  static override flags = { all: Flags.boolean({ description: 'Redrive every dead letter of the queue(s).' }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DlqRedrive);
    if ((args.id === undefined) === !flags.all) throw new EesError('INVALID_USAGE', 'Name one dead letter (its message id, from `ees dlq list`) or pass --all.');
    const { queues, sqs } = await this.open(flags);
    const resources = this.resources!;
    const [{ receiveAll, deleteLetter, releaseLetter }, { redriveLetter }, { dynamoDbClientFor, streamsClientFor }] = await Promise.all([
      import('../../src/operations/dead-letters.js'),
      import('../../src/operations/redrive.js'),
      import('../../src/operations/store-resources.js'),
    ]);
    const dynamodb = dynamoDbClientFor(resources);
    const streams = streamsClientFor(resources);
    const snsEndpoint = flags['sns-endpoint'];
    const { changesets, events } = resources.topics;
    const publisher =
      changesets === undefined || events === undefined
        ? undefined
        : async () => {
            const [{ SNSClient }, { createPublisher }, { dynamoDbPublishProgress }] = await Promise.all([import('@aws-sdk/client-sns'), import('../../src/publisher/publisher.js'), import('../../src/publisher/progress.js')]);
            const sns = new SNSClient(snsEndpoint === undefined ? { region: resources.region } : { region: resources.region, endpoint: snsEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
            return createPublisher({ sns, changesetsTopicArn: changesets, eventsTopicArn: events, progress: dynamoDbPublishProgress(dynamodb, resources.tables.meta) });
          };
    const results: Record<string, unknown>[] = [];
    let stayed = 0;
    let matched = 0;
    try {
      for (const [queue, url] of queues) {
        const held = await receiveAll(sqs, url, { keep: (letter) => flags.all || letter.messageId === args.id });
        const chosen = held.filter((letter) => flags.all || letter.messageId === args.id);
        matched += chosen.length;
        const made = publisher === undefined ? undefined : await publisher();
        for (const letter of chosen) {
          const outcome = await this.redriveOne(queue, letter, () => redriveLetter(queue, letter, { dynamodb, streams, tables: resources.tables, ...(made === undefined ? {} : { publisher: () => made }) }));
          if (outcome.done) await deleteLetter(sqs, url, letter);
          else {
            stayed++;
            await releaseLetter(sqs, url, letter);
          }
          results.push({ queue, message_id: letter.messageId, ...outcome });
        }
      }
    } finally {
      dynamodb.destroy();
      streams.destroy();
    }
    if (!flags.all && matched === 0) throw new EesError('DEAD_LETTER_NOT_FOUND', `No dead letter ${args.id} in the ${queues.map(([name]) => name).join(' or ')} queue (\`ees dlq list\` shows them).`);
    if (this.json(flags)) this.print(JSON.stringify({ redriven: results }));
    else {
      if (results.length === 0) this.print('No dead letters.');
      for (const result of results) {
        const what = result['done'] === true ? `${String(result['how'])}${result['assigned'] === undefined ? '' : `, ${JSON.stringify(result['assigned'])} checkpoint(s) assigned`}; deleted` : `stays: ${String(result['reason'])}`;
        this.print(`${String(result['queue'])}  ${String(result['message_id'])}  ${what}`);
      }
    }
    if (stayed > 0) {
      // The reasons are printed above (or in the JSON): one line more, and exit 1.
      process.stderr.write(`ees: ${stayed} dead letter(s) could not be redriven and stay in their queue.\n`);
      process.exitCode = 1;
    }
  }

  private async redriveOne<T>(queue: DeadLetterQueue, letter: DeadLetter, work: () => Promise<T>): Promise<T | { done: false; reason: string }> {
    try {
      return await work();
    } catch (error) {
      return { done: false, reason: `${queue} failed again: ${(error as Error).message}` };
    }
  }
}
