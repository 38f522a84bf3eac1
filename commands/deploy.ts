import { Flags } from '@oclif/core';
import { saveProfile } from '../src/client/profiles.js';
import { alarmFlags, alarmsOf, DeployCommand, stackFlags } from '../src/cli/deploy-command.js';
import { runDeploy } from '../src/deploy/flow.js';

export default class Deploy extends DeployCommand {
  static override summary = 'Deploy the serverless event store to AWS.';
  static override description = `Synthesizes the embedded CDK app in-process and deploys it with the CDK toolkit library: tables,
Lambda functions, API Gateway (IAM authorization unless --public), SNS FIFO topics, dead-letter queues,
alarms. Offers to bootstrap the environment (or upgrade a bootstrap stack that is too old) when needed;
--yes does it without asking. At a terminal it shows the changes and asks before deploying them; a
non-interactive run needs --yes when they change IAM permissions (a first deploy always does). On
success it prints the endpoint and saves a target profile named after the stack, which the client
commands use (ees status --profile <stack-name>). Pass the same --alarm-email/--alarm-topic on every
deploy: a deploy without them removes them.

Exit codes: 0 deployed, 2 invalid usage or declined (nothing changed), 6 missing or expired AWS credentials, 1 failure.`;

  static override examples = [
    '<%= config.bin %> deploy --region eu-west-1',
    '<%= config.bin %> deploy --stack-name ees-ci --yes --json',
    '<%= config.bin %> deploy --region eu-west-1 --alarm-email ops@example.com',
  ];

  static override flags = {
    ...stackFlags,
    ...alarmFlags,
    public: Flags.boolean({ description: 'Open the API to anyone with its URL (no IAM authorization).' }),
  };

  async run(): Promise<{ stack: string; region: string; endpoint: string; auth: string; profile: string; bootstrapped: boolean; outputs: Record<string, string> }> {
    const { flags } = await this.parse(Deploy);
    const region = this.region(flags.region);
    const json = this.jsonEnabled();
    const interaction = await this.interaction(`Deploying ${flags['stack-name']} to ${region}`, json);
    const request = { stackName: flags['stack-name'], region, public: flags.public, yes: flags.yes };
    const alarms = alarmsOf(flags);
    const boundary = await this.boundary({ ...request, awsProfile: flags['aws-profile'], alarms, interaction });
    try {
      const outcome = await runDeploy(boundary, interaction, { ...request, interactive: this.interactive() });
      interaction.finish();
      const profilesPath = await saveProfile(this.config.configDir, flags['stack-name'], outcome.profile);
      if (!json) {
        this.log(`Deployed ${flags['stack-name']} to ${region}: ${outcome.profile.endpoint}`);
        this.log(`Saved profile "${flags['stack-name']}" in ${profilesPath}: try \`ees status --profile ${flags['stack-name']}\`.`);
      }
      return { stack: flags['stack-name'], region, endpoint: outcome.profile.endpoint, auth: outcome.profile.auth ?? 'iam', profile: flags['stack-name'], bootstrapped: outcome.bootstrapped, outputs: outcome.outputs };
    } finally {
      interaction.finish();
      boundary.dispose();
    }
  }
}
