import { Flags } from '@oclif/core';
import { alarmFlags, alarmsOf, DeployCommand, stackFlags } from '../src/cli/deploy-command.js';
import { requireIdentity } from '../src/deploy/flow.js';

export default class Diff extends DeployCommand {
  static override summary = 'Show what a deploy would change in the stack.';
  static override description = `Compares the embedded app with the deployed stack and prints the differences. Pass the flags the
deploy would get (--public, --alarm-email, --alarm-topic) to compare like with like.

Exit codes: 0 shown, 2 invalid usage, 6 missing or expired AWS credentials, 1 failure.`;

  static override examples = ['<%= config.bin %> diff --region eu-west-1'];

  static override flags = {
    ...stackFlags,
    ...alarmFlags,
    public: Flags.boolean({ description: 'Compare with a public API (no IAM authorization).' }),
  };

  async run(): Promise<{ stack: string; diff: string }> {
    const { flags } = await this.parse(Diff);
    const region = this.region(flags.region);
    const interaction = await this.interaction(`Comparing ${flags['stack-name']}`, true);
    const alarms = alarmsOf(flags);
    const boundary = await this.boundary({
      stackName: flags['stack-name'],
      region,
      public: flags.public,
      yes: flags.yes,
      awsProfile: flags['aws-profile'],
      alarms,
      interaction,
    });
    try {
      await requireIdentity(boundary, region);
      const text = await boundary.diff();
      if (!this.jsonEnabled()) this.log(text);
      return { stack: flags['stack-name'], diff: text };
    } finally {
      boundary.dispose();
    }
  }
}
