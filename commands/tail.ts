import { Args, Flags } from '@oclif/core';
import { tailGlobal, tailRecords, tailStream, type FollowRetry, type TailBatch } from '../src/client/follow.js';
import { loadCheckpoint, saveCheckpoint } from '../src/cli/checkpoint-file.js';
import { ClientCommand } from '../src/cli/client-command.js';
import { parseDuration } from '../src/cli/duration.js';
import { formatTailRecord } from '../src/cli/format.js';
import { streamOutputFlags } from '../src/cli/output-flags.js';
import { EesError } from '../src/core/errors.js';
import { validateStreamId } from '../src/core/params.js';

export default class Tail extends ClientCommand {
  static override summary = 'Print the global order (or one stream) from a point, and optionally follow it.';
  static override description = `Without STREAM it walks the global order across all streams from --from-checkpoint (default 0);
with STREAM, that stream's changesets from --from (a changeset id, default 1).

Without --follow it prints up to the head and exits 0: \`ees tail --from-checkpoint 0 --json\` dumps
the whole store as JSON Lines. With --follow it then waits for new changesets with long polls until
interrupted; with no start point it prints only new changesets.

--checkpoint-file F resumes from the checkpoint in F (when F exists) and rewrites F atomically after
every printed batch, so a cron job can build a projection incrementally, run after run. Across a
crash it is at-least-once: the last batch may be printed again (each line carries its checkpoint).

With --follow it outlives a restart of the server: it retries with backoff from the last checkpoint
(a line on stderr says so) until the server answers again, or until --max-wait has passed (exit 5).

-n/--count N stops after N changesets (N events with --events or --data-only); --limit is only the
page size. --data-only prints the event payloads alone, one per line.

Each JSON line is a changeset {"stream_id", "changeset_id", "events", "metadata", "checkpoint"},
or with --events one event {"stream_id", "changeset_id", "event_id", "checkpoint", "data"}.
"checkpoint" is absent for a stream's changesets read before following.

Exit codes: 0 done or interrupted, 2 invalid input, 4 stream not found (without --follow),
5 unreachable (with --follow: after --max-wait), 6 refused.`;

  static override examples = [
    '<%= config.bin %> tail --from-checkpoint 0 --json > store.jsonl',
    '<%= config.bin %> tail -f',
    '<%= config.bin %> tail -f -n 1 --data-only',
    '<%= config.bin %> tail account-42 --from 1 --follow',
    '<%= config.bin %> tail --checkpoint-file .projection-checkpoint --json | ./project.sh',
  ];

  static override args = {
    stream: Args.string({ description: 'Stream id; without it, the global order across all streams.', required: false }),
  };

  static override flags = {
    'from-checkpoint': Flags.integer({ description: 'Global checkpoint to start from (global order).', min: 0, exclusive: ['from'] }),
    from: Flags.integer({ description: 'Changeset id to start from (with STREAM).', min: 1 }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new changesets as they are committed.' }),
    limit: Flags.integer({ description: 'Changesets per request (1 to 1000).', min: 1, max: 1000, default: 100 }),
    events: Flags.boolean({ description: 'Print one line per event instead of per changeset.' }),
    'checkpoint-file': Flags.string({ description: 'Resume from, and save progress to, this file (global order).' }),
    ...streamOutputFlags,
    'max-wait': Flags.string({ description: 'With --follow, give up after the store has been unreachable this long (e.g. 1m; default: never).', dependsOn: ['follow'] }),
  };

  /** Following outlives a server restart: "reconnecting…" at a terminal, a JSON-free stderr line otherwise. */
  private followRetry(maxWait: string | undefined, json: boolean): FollowRetry {
    const interactive = process.stderr.isTTY === true && !json;
    return {
      ...(maxWait === undefined ? {} : { maxWaitMs: parseDuration(maxWait, '--max-wait') }),
      onReconnecting: ({ error, checkpoint, retryInMs }) =>
        process.stderr.write(`ees: ${interactive ? 'reconnecting… ' : ''}${error.message.replace(/\.$/, '')}; retrying in ${retryInMs / 1000}s from checkpoint ${checkpoint}.\n`),
      onReconnected: () => process.stderr.write('ees: reconnected.\n'),
    };
  }

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Tail);
    if (args.stream !== undefined) {
      validateStreamId(args.stream);
      if (flags['from-checkpoint'] !== undefined) throw new EesError('INVALID_USAGE', '--from-checkpoint walks the global order; with STREAM use --from (a changeset id).');
      if (flags['checkpoint-file'] !== undefined) throw new EesError('INVALID_USAGE', '--checkpoint-file works with the global order: leave STREAM out and filter the JSON.');
    } else if (flags.from !== undefined) {
      throw new EesError('INVALID_USAGE', '--from is a changeset id of STREAM; for the global order use --from-checkpoint.');
    }

    const client = await this.connect(flags);
    const json = this.jsonOutput(flags);
    const color = this.colors(flags);
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);

    try {
      let batches: AsyncGenerator<TailBatch>;
      const checkpointFile = flags['checkpoint-file'];
      const retry = this.followRetry(flags['max-wait'], json);
      if (args.stream === undefined) {
        const saved = checkpointFile === undefined ? undefined : await loadCheckpoint(checkpointFile);
        const explicit = saved ?? flags['from-checkpoint'];
        const from = explicit ?? (flags.follow && checkpointFile === undefined ? await client.headCheckpoint() : 0);
        batches = tailGlobal(client, { from, limit: flags.limit, follow: flags.follow, signal: stop.signal, retry });
      } else {
        batches = tailStream(client, args.stream, { from: flags.from, limit: flags.limit, follow: flags.follow, signal: stop.signal, retry });
      }
      const unit = flags['data-only'] ? 'data' : flags.events ? 'events' : 'changesets';
      for await (const batch of tailRecords(client, batches, { unit, ...(flags.count === undefined ? {} : { count: flags.count }) })) {
        for (const record of batch.records) {
          for (const line of formatTailRecord(color, record, { json, showStream: args.stream === undefined })) this.print(line);
        }
        if (checkpointFile !== undefined && batch.nextCheckpoint !== undefined) await saveCheckpoint(checkpointFile, batch.nextCheckpoint);
      }
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
