import { Flags } from '@oclif/core';
import { EesCommand } from '../src/cli/base-command.js';
import { alarmFlags, alarmsOf, stackNameFlag } from '../src/cli/deploy-command.js';
import { scratchDirectory } from '../src/deploy/scratch.js';

export default class Synth extends EesCommand {
  static override summary = 'Print the CloudFormation template of the stack, offline.';
  static override description = `Synthesizes the embedded CDK app and prints the template JSON to stdout. It needs no AWS account or
network: CI can review changes to the stack with it.`;

  static override examples = ['<%= config.bin %> synth > template.json', '<%= config.bin %> synth --stack-name ees-staging --public'];

  static override flags = {
    'stack-name': stackNameFlag,
    public: Flags.boolean({ description: 'Open the API without IAM authorization.' }),
    ...alarmFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Synth);
    const [{ buildApp }, { lambdaCodeDirectory }] = await Promise.all([import('../stack/app.js'), import('../stack/lambda-code.js')]);
    const scratch = scratchDirectory('ees-synth');
    try {
      const alarms = alarmsOf(flags);
      const { app, stack } = buildApp({ stackName: flags['stack-name'], public: flags.public, alarms, lambdaCodeDirectory: lambdaCodeDirectory(), outdir: scratch.path });
      const template = app.synth().getStackByName(stack.stackName).template as unknown;
      process.stdout.write(`${JSON.stringify(template, null, 2)}\n`);
    } finally {
      scratch.remove();
    }
  }
}
