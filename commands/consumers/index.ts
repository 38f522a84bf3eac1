import { ClientCommand } from '../../src/cli/client-command.js';

export default class Consumers extends ClientCommand {
  static override summary = 'List the consumers the event store keeps: names, positions and lag.';
  static override description = `A consumer is a name and a position in the global order, kept by the event store, that
\`ees tail --consumer NAME\` resumes from and moves after every delivered batch. The lag is how many
changesets it trails the head by. With --json, or when stdout is not a terminal, prints one object
{"head", "consumers": [{"name", "position", "lag"}, ...]}.

Exit codes: 0 listed, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> consumers', '<%= config.bin %> consumers --json'];

  async run(): Promise<void> {
    const { flags } = await this.parse(Consumers);
    const client = (await this.connect(flags)).http;
    const listing = await client.listConsumers();
    if (this.jsonOutput(flags)) {
      this.print(JSON.stringify(listing));
      return;
    }
    const color = this.colors(flags);
    if (listing.consumers.length === 0) {
      this.print(color.dim(`No consumers (head ${listing.head}).`));
      return;
    }
    const width = Math.max(4, ...listing.consumers.map((consumer) => consumer.name.length));
    this.print(color.bold(`${'NAME'.padEnd(width)}  ${'POSITION'.padStart(10)}  ${'LAG'.padStart(10)}`));
    for (const consumer of listing.consumers) {
      this.print(`${color.cyan(consumer.name.padEnd(width))}  ${String(consumer.position).padStart(10)}  ${String(consumer.lag).padStart(10)}`);
    }
    this.print(color.dim(`head ${listing.head}`));
  }
}
