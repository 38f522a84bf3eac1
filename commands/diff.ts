import { Flags } from '@oclif/core';
import { DeployCommand, stackFlags } from '../src/cli/deploy-command.js';
import { requireIdentity } from '../src/deploy/flow.js';

export default class Diff extends DeployCommand {
  static override summary = 'Show what a deploy would change in the stack.';
  static override description = 'Compares the embedded app with the deployed stack and prints the differences.\n\nExit codes: 0 shown, 6 missing or expired AWS credentials, 1 failure.';
  static override examples = ['<%= config.bin %> diff --region eu-west-1'];

  static override flags = {
    ...stackFlags,
    public: Flags.boolean({ description: 'Compare with a public API (no IAM authorization).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Diff);
    const region = this.region(flags.region);
    const interaction = await this.interaction(`Comparing ${flags['stack-name']}`, true);
    const boundary = await this.boundary({ stackName: flags['stack-name'], region, public: flags.public, yes: flags.yes, ...(flags.profile === undefined ? {} : { profile: flags.profile }), interaction });
    try {
      await requireIdentity(boundary, region);
      const text = await boundary.diff();
      process.stdout.write(this.jsonEnabled() ? `${JSON.stringify({ stack: flags['stack-name'], diff: text })}\n` : `${text}\n`);
    } finally {
      boundary.dispose();
    }
  }
}
