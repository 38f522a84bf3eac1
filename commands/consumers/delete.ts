import { Args } from '@oclif/core';
import { ClientCommand } from '../../src/cli/client-command.js';
import { validateConsumerName } from '../../src/core/consumers.js';

export default class ConsumersDelete extends ClientCommand {
  static override summary = 'Forget a consumer and its position.';
  static override description = `The next \`ees tail --consumer NAME\` starts again from checkpoint 0.

Exit codes: 0 deleted, 2 invalid name, 4 no such consumer, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> consumers delete orders-view'];

  static override args = {
    name: Args.string({ description: 'Consumer name.', required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ConsumersDelete);
    validateConsumerName(args.name);
    const client = (await this.connect(flags)).http;
    await client.deleteConsumer(args.name);
    if (this.jsonOutput(flags)) this.print(JSON.stringify({ name: args.name, deleted: true }));
    else this.print(`Consumer ${args.name} deleted.`);
  }
}
