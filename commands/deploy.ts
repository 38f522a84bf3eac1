import { Flags } from '@oclif/core';
import { saveProfile } from '../src/client/profiles.js';
import { DeployCommand, stackFlags } from '../src/cli/deploy-command.js';
import { runDeploy } from '../src/deploy/flow.js';

export default class Deploy extends DeployCommand {
  static override summary = 'Deploy the serverless event store to AWS.';
  static override description = `Synthesizes the embedded CDK app in-process and deploys it with the CDK toolkit library: tables,
Lambda functions, API Gateway (IAM authorization unless --public), SNS FIFO topics, dead-letter queues,
alarms. Offers to bootstrap the environment when needed (automatic with --yes). On success it prints
the endpoint and saves a target profile named after the stack, which the client commands use
(ees status --profile <stack-name>).

Exit codes: 0 deployed, 2 invalid usage or declined, 6 missing or expired AWS credentials, 1 failure.`;

  static override examples = ['<%= config.bin %> deploy --region eu-west-1', '<%= config.bin %> deploy --stack-name ees-ci --yes --json'];

  static override flags = {
    ...stackFlags,
    public: Flags.boolean({ description: 'Open the API to anyone with its URL (no IAM authorization).' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Deploy);
    const region = this.region(flags.region);
    const json = this.jsonEnabled();
    const interaction = await this.interaction(`Deploying ${flags['stack-name']} to ${region}`, json);
    const request = { stackName: flags['stack-name'], region, public: flags.public, yes: flags.yes };
    const boundary = await this.boundary({ ...request, ...(flags.profile === undefined ? {} : { profile: flags.profile }), interaction });
    try {
      const outcome = await runDeploy(boundary, interaction, { ...request, interactive: this.interactive() });
      interaction.finish();
      const profilesPath = await saveProfile(this.config.configDir, flags['stack-name'], outcome.profile);
      if (json) {
        process.stdout.write(`${JSON.stringify({ stack: flags['stack-name'], region, endpoint: outcome.profile.endpoint, auth: outcome.profile.auth, profile: flags['stack-name'], outputs: outcome.outputs })}\n`);
      } else {
        process.stdout.write(`Deployed ${flags['stack-name']} to ${region}: ${outcome.profile.endpoint}\n`);
        process.stdout.write(`Saved profile "${flags['stack-name']}" in ${profilesPath}: try \`ees status --profile ${flags['stack-name']}\`.\n`);
      }
    } finally {
      interaction.finish();
      boundary.dispose();
    }
  }
}
