import { Flags } from '@oclif/core';
import { DeployCommand, stackFlags } from '../src/cli/deploy-command.js';
import { runDestroy } from '../src/deploy/flow.js';

export default class Destroy extends DeployCommand {
  static override summary = 'Remove the stack; the tables and their events are kept unless --delete-data.';
  static override description = `Removes the CloudFormation stack. The events and meta tables are retained (and keep point-in-time
recovery), and so are the dead-letter queues, so nothing is lost by removing the stack. With
--delete-data the tables are deleted too, but only after the stack's removal has completed. One
question covers it all (--yes answers it); "no" changes nothing.

Exit codes: 0 removed, 2 declined or no such stack (nothing changed), 6 missing or expired AWS credentials, 1 failure.`;

  static override examples = ['<%= config.bin %> destroy --region eu-west-1', '<%= config.bin %> destroy --stack-name ees-ci --yes --delete-data'];

  static override flags = {
    ...stackFlags,
    'delete-data': Flags.boolean({ description: 'Also delete the tables with every event in them, once the stack is gone.' }),
  };

  async run(): Promise<{ stack: string; region: string; deleted_tables: readonly string[]; kept_tables: readonly string[] }> {
    const { flags } = await this.parse(Destroy);
    const region = this.region(flags.region);
    const json = this.jsonEnabled();
    const interaction = await this.interaction(`Destroying ${flags['stack-name']}`, json);
    const request = { stackName: flags['stack-name'], region, public: false, yes: flags.yes };
    const boundary = await this.boundary({ ...request, awsProfile: flags['aws-profile'], interaction });
    try {
      const result = await runDestroy(boundary, interaction, { ...request, interactive: this.interactive(), deleteData: flags['delete-data'] });
      interaction.finish();
      if (!json) {
        this.log(`Removed ${flags['stack-name']} from ${region}.`);
        if (result.deletedTables.length > 0) this.log(`Deleted the tables ${result.deletedTables.join(' and ')}.`);
        if (result.keptTables.length > 0) this.log(`Kept the tables ${result.keptTables.join(' and ')}: delete them in the console, or run again with --delete-data.`);
      }
      return { stack: flags['stack-name'], region, deleted_tables: result.deletedTables, kept_tables: result.keptTables };
    } finally {
      interaction.finish();
      boundary.dispose();
    }
  }
}
