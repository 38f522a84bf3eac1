import { DlqCommand, letterAsJson, letterLine } from '../../src/cli/dlq-command.js';

export default class DlqList extends DlqCommand {
  static override summary = 'List what the indexer and the publisher gave up on (their dead-letter queues).';
  static override description = `Each dead letter is one failed stream batch, as Lambda records it: when and why it failed
(RetryAttemptsExhausted, RecordAgeExceeded), the invocation's request id (its error is in the
function's log under that id) and where the batch lies in the table's stream. \`ees dlq show ID\`
names its changesets while the stream still holds them (24 hours). Listing changes nothing.

Exit codes: 0 listed, 2 bad usage (no queue known).`;

  static override examples = ['<%= config.bin %> dlq list', '<%= config.bin %> dlq list --queue indexer --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(DlqList);
    const { queues, sqs } = await this.open(flags);
    const { receiveAll } = await import('../../src/operations/dead-letters.js');
    const found = await Promise.all(queues.map(async ([name, url]) => ({ name, letters: await receiveAll(sqs, url) })));
    if (this.json(flags)) {
      this.print(JSON.stringify({ letters: found.flatMap(({ name, letters }) => letters.map((letter) => letterAsJson(name, letter))) }));
      return;
    }
    for (const { name, letters } of found) {
      if (letters.length === 0) this.print(`${name}  no dead letters`);
      for (const letter of letters) this.print(letterLine(name, letter));
    }
  }
}
