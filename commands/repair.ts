import { Flags } from '@oclif/core';
import { EesCommand } from '../src/cli/base-command.js';
import { storeFlags, storeResourcesFrom } from '../src/cli/store-flags.js';
import { EesError } from '../src/core/errors.js';

const SQLITE_ANSWER = 'Nothing to repair on SQLite: a commit takes its checkpoint in its own transaction, so no changeset is ever left without one.';

export default class Repair extends EesCommand {
  static override summary = 'Give checkpoints to committed changesets the indexer missed (DynamoDB).';
  static override description = `Finds committed changesets without a checkpoint (a failed indexer, records dropped after
the stream's 24 hours) in the events table's "unindexed" index and indexes them with the indexer's own
code: dense checkpoints, each changeset exactly once, safe beside the running indexer and safe to
interrupt (run it again). It reads only what waits, never the whole table. --dry-run reports what
it would do and writes nothing.

The tables come from --stack, or the stack of the profile \`ees deploy\` saved, or the flags.

Exit codes: 0 done (or nothing to do), 2 bad usage, 5 DynamoDB unreachable.`;

  static override examples = ['<%= config.bin %> repair --dry-run', '<%= config.bin %> repair --stack ees --region eu-west-1', '<%= config.bin %> repair --table-prefix ees-dev --dynamodb-endpoint http://127.0.0.1:8000 --json'];

  static override enableJsonFlag = true;

  static override flags = {
    ...storeFlags,
    'dry-run': Flags.boolean({ description: 'Report what would be indexed; write nothing.' }),
    'batch-size': Flags.integer({ description: 'Changesets indexed per counter update.', default: 1000, min: 1, max: 10_000 }),
    engine: Flags.string({ description: 'The store\'s engine: on sqlite there is nothing to repair.', options: ['dynamodb', 'sqlite'], default: 'dynamodb' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Repair);
    const json = flags.json === true || !process.stdout.isTTY;
    if (flags.engine === 'sqlite') {
      process.stdout.write(json ? `${JSON.stringify({ engine: 'sqlite', dry_run: flags['dry-run'], assigned: 0, message: SQLITE_ANSWER })}\n` : `${SQLITE_ANSWER}\n`);
      return;
    }
    const resources = await storeResourcesFrom(flags, this.config.configDir);
    const [{ repairUnindexed }, { dynamoDbClientFor }] = await Promise.all([import('../src/engines/dynamodb/repair.js'), import('../src/operations/store-resources.js')]);
    const client = dynamoDbClientFor(resources);
    const progress = process.stderr.isTTY === true && !json;
    try {
      const report = await repairUnindexed({
        client,
        tables: resources.tables,
        dryRun: flags['dry-run'],
        batchSize: flags['batch-size'],
        onRepairAction: ({ assigned, nextCheckpoint }) => {
          if (progress) process.stderr.write(`ees: indexed ${assigned} (next checkpoint ${nextCheckpoint})\n`);
        },
      });
      if (json) {
        process.stdout.write(
          `${JSON.stringify({
            dry_run: report.dryRun,
            events_table: resources.tables.events,
            listed: report.listed,
            [report.dryRun ? 'would_assign' : 'assigned']: report.assigned,
            interrupted_assignments: report.interrupted,
            streams: report.streams,
            oldest_committed_at: report.oldestCommittedAt,
            next_checkpoint: report.nextCheckpoint,
          })}\n`,
        );
        return;
      }
      const interrupted = report.interrupted === 0 ? '' : ` ${report.interrupted} assignment(s) an interrupted indexer left unwritten ${report.dryRun ? 'would be' : 'were'} written first.`;
      if (report.assigned === 0) {
        process.stdout.write(`Nothing to repair in ${resources.tables.events}: every committed changeset has a checkpoint (next ${report.nextCheckpoint}).${interrupted}\n`);
        return;
      }
      const what = `${report.assigned} changeset(s) of ${report.streams} stream(s), oldest committed ${report.oldestCommittedAt ?? 'unknown'}`;
      process.stdout.write(report.dryRun ? `Would index ${what}, from checkpoint ${report.nextCheckpoint}.${interrupted}\n` : `Indexed ${what}; next checkpoint ${report.nextCheckpoint}.${interrupted}\n`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') throw new EesError('ENDPOINT_UNREACHABLE', `DynamoDB does not answer (${code}).`, { cause: error });
      if ((error as { name?: string }).name === 'ResourceNotFoundException') throw new EesError('INVALID_USAGE', `No table ${resources.tables.events} (or its "unindexed" index; deploy the current stack) in ${resources.source}.`, { cause: error });
      throw error;
    } finally {
      client.destroy();
    }
  }
}
