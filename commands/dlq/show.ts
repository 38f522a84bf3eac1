import { Args } from '@oclif/core';
import { DlqCommand, letterAsJson, letterLine } from '../../src/cli/dlq-command.js';
import { EesError } from '../../src/core/errors.js';

export default class DlqShow extends DlqCommand {
  static override summary = 'Show one dead letter: its failure and the changesets of its batch, with their checkpoints now.';
  static override description = `Reads the batch's records again from the table's stream (it keeps them 24 hours) and shows
each changeset's stream id, changeset id and checkpoint now (null: still without one, so
\`ees dlq redrive\` or \`ees repair\` is due). After 24 hours only the failure itself is known.

Exit codes: 0 shown, 2 bad usage, 4 no such dead letter.`;

  static override examples = ['<%= config.bin %> dlq show 5f0c…'];

  static override args = { id: Args.string({ description: 'The message id, as `ees dlq list` shows it.', required: true }) };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(DlqShow);
    const { queues, sqs } = await this.open(flags);
    const [{ receiveAll, readBatchRecords, changesetsOf }, { dynamoDbClientFor, streamsClientFor }] = await Promise.all([
      import('../../src/operations/dead-letters.js'),
      import('../../src/operations/store-resources.js'),
    ]);
    for (const [name, url] of queues) {
      const letter = (await receiveAll(sqs, url)).find((candidate) => candidate.messageId === args.id);
      if (letter === undefined) continue;
      const resources = this.resources!;
      const dynamodb = dynamoDbClientFor(resources);
      const streams = streamsClientFor(resources);
      try {
        const batch = letter.record === undefined ? { available: false as const, reason: 'its body is not a stream failure record' } : await readBatchRecords(streams, letter.record.batch);
        const changesets = batch.available ? await changesetsOf(dynamodb, resources.tables, batch.records) : [];
        if (this.json(flags)) {
          this.print(
            JSON.stringify({
              ...letterAsJson(name, letter),
              records_available: batch.available,
              ...(batch.available ? {} : { records_unavailable_because: batch.reason }),
              changesets: changesets.map((changeset) => ({ stream_id: changeset.streamId, changeset_id: changeset.changesetId, checkpoint: changeset.checkpoint ?? null })),
            }),
          );
          return;
        }
        this.print(letterLine(name, letter));
        if (!batch.available) this.print(`Changesets unknown: ${batch.reason}. \`ees repair\` finds unindexed changesets without the stream.`);
        for (const changeset of changesets) {
          this.print(`  ${changeset.streamId}  changeset ${changeset.changesetId}  ${changeset.checkpoint === undefined ? 'not in the table' : changeset.checkpoint === null ? 'no checkpoint yet' : `checkpoint ${changeset.checkpoint}`}`);
        }
        return;
      } finally {
        dynamodb.destroy();
        streams.destroy();
      }
    }
    throw new EesError('DEAD_LETTER_NOT_FOUND', `No dead letter ${args.id} in the ${queues.map(([name]) => name).join(' or ')} queue (\`ees dlq list\` shows them).`);
  }
}
