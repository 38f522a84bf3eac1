import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flags } from '@oclif/core';
import { EesCommand } from '../src/cli/base-command.js';

export default class Synth extends EesCommand {
  static override summary = 'Print the CloudFormation template of the stack, offline.';
  static override description = `Synthesizes the embedded CDK app and prints the template JSON to stdout. It needs no AWS account or
network: CI can review changes to the stack with it.`;

  static override examples = ['<%= config.bin %> synth > template.json', '<%= config.bin %> synth --stack-name ees-staging --public'];

  static override flags = {
    'stack-name': Flags.string({ description: 'Name of the CloudFormation stack.', default: 'ees' }),
    public: Flags.boolean({ description: 'Open the API without IAM authorization.' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Synth);
    const [{ buildApp }, { lambdaCodeDirectory }] = await Promise.all([import('../stack/app.js'), import('../stack/lambda-code.js')]);
    const outdir = mkdtempSync(join(tmpdir(), 'ees-synth-'));
    try {
      const { app, stack } = buildApp({ stackName: flags['stack-name'], public: flags.public, lambdaCodeDirectory: lambdaCodeDirectory(), outdir });
      const template = app.synth().getStackByName(stack.stackName).template as unknown;
      process.stdout.write(`${JSON.stringify(template, null, 2)}\n`);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }
}
