import { Args, Flags } from '@oclif/core';
import { ClientCommand } from '../../src/cli/client-command.js';
import { validateConsumerName } from '../../src/core/consumers.js';

export default class ConsumersReset extends ClientCommand {
  static override summary = 'Move a consumer to a checkpoint (creating it if needed), e.g. to rebuild a projection.';
  static override description = `Sets the consumer's position to --to N whatever it was: the next \`ees tail --consumer NAME\`
delivers from checkpoint N. --to 0 replays the whole store. A runner still using the consumer
stops at its next batch (exit 3), since the position is no longer the one it expects.

Exit codes: 0 reset, 2 invalid name or a checkpoint beyond the head, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> consumers reset orders-view --to 0'];

  static override args = {
    name: Args.string({ description: 'Consumer name.', required: true }),
  };

  static override flags = {
    to: Flags.integer({ description: 'The checkpoint to deliver from next.', min: 0, required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConsumersReset);
    validateConsumerName(args.name);
    const client = (await this.connect(flags)).http;
    const consumer = await client.resetConsumer(args.name, flags.to);
    if (this.jsonOutput(flags)) this.print(JSON.stringify(consumer));
    else this.print(`Consumer ${consumer.name} is at ${consumer.position} (lag ${consumer.lag}).`);
  }
}
