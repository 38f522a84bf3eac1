import { Args, Flags } from '@oclif/core';
import { consumerPosition, startOf, type FromCheckpoint, type SavedPosition } from '../src/client/consumers.js';
import { checkpointFilePosition } from '../src/cli/checkpoint-file.js';
import { deliverToCommand } from '../src/client/exec-delivery.js';
import { tailRecords, tailStream, type FollowRetry, type TailBatch } from '../src/client/follow.js';
import type { ChangesetFeed } from '../src/client/remote-store.js';
import type { RemoteEventStore } from '../src/client/remote-store.js';
import { ClientCommand } from '../src/cli/client-command.js';
import { withOptionalValue } from '../src/cli/optional-value.js';
import { parseDuration } from '../src/cli/duration.js';
import { formatTailRecord, wireChangeset } from '../src/cli/format.js';
import { parseSinceFlag } from '../src/cli/since.js';
import { streamOutputFlags } from '../src/cli/output-flags.js';
import { EesError } from '../src/core/errors.js';
import { validateStreamId } from '../src/core/params.js';

/** The library's pages as the batches ees tail prints and delivers: the API's own shape. */
async function* wireBatches(feed: ChangesetFeed): AsyncGenerator<TailBatch> {
  for await (const page of feed.pages()) yield { changesets: page.changesets.map(wireChangeset), nextCheckpoint: page.nextCheckpoint };
}

/** What a bare `--from-checkpoint` is given before parsing (see withOptionalValue). */
const BARE_FROM_CHECKPOINT = 'saved';

export default class Tail extends ClientCommand {
  static override summary = 'Print the global order (or one stream) from a point, and optionally follow it.';
  static override description = `Without STREAM it walks the global order across all streams from --from-checkpoint (default 0);
with STREAM, that stream's changesets from --from (a changeset id, default 1).

Without --follow it prints up to the head and exits 0: \`ees tail --from-checkpoint 0 --json\` dumps
the whole store as JSON Lines. With --follow it then waits for new changesets with long polls until
interrupted; with no start point it prints only new changesets.

--consumer NAME keeps the position in the event store (it survives the CI runner), --checkpoint-file F
in a local file: either resumes from the saved position and moves it after every delivered batch.
With --exec CMD a batch is delivered when CMD, run once per batch with the batch as JSON Lines on its
stdin, exits 0; if it fails, ees stops with exit 8 and keeps the position, so the next run delivers
that batch again. It is at-least-once: make the projection idempotent (each line carries its checkpoint).
Bare --from-checkpoint resumes from the saved position, else starts at 0; --from-checkpoint N with a
saved position is refused.

With --follow it outlives a restart of the server: it retries with backoff from the last checkpoint
(a line on stderr says so) until the server answers again, or until --max-wait has passed (exit 5).

--stream-prefix P keeps the changesets of streams whose ids start with P (a category, e.g. account-),
--type T (repeatable) those with an event of type T; the server filters, so a follower moves through
a store where little matches without receiving the rest. --since 2h (or an ISO 8601 time) starts at
the first changeset committed at or after that time.

-n/--count N stops after N changesets (N events with --events or --data-only); --limit is only the
page size. --data-only prints the event payloads alone, one per line.

Each JSON line is a changeset {"stream_id", "changeset_id", "events", "metadata", "checkpoint"},
or with --events one event {"stream_id", "changeset_id", "event_id", "checkpoint", "data"}.
"checkpoint" is absent for a stream's changesets read before following.

Exit codes: 0 done or interrupted, 2 invalid input, 3 another runner moved the consumer,
4 stream not found (without --follow), 5 unreachable (with --follow: after --max-wait), 6 refused,
8 the --exec command failed.`;

  static override examples = [
    '<%= config.bin %> tail --from-checkpoint 0 --json > store.jsonl',
    '<%= config.bin %> tail -f',
    '<%= config.bin %> tail -f -n 1 --data-only',
    '<%= config.bin %> tail account-42 --from 1 --follow',
    '<%= config.bin %> tail --checkpoint-file .projection-checkpoint --json | ./project.sh',
    '<%= config.bin %> tail --consumer orders-view --exec ./apply-batch.sh',
    '<%= config.bin %> tail -f --stream-prefix account- --type deposited --type withdrawn',
    '<%= config.bin %> tail --since 2h --json',
  ];

  static override args = {
    stream: Args.string({ description: 'Stream id; without it, the global order across all streams.', required: false }),
  };

  static override flags = {
    'from-checkpoint': Flags.custom<Exclude<FromCheckpoint, undefined>>({
      description: 'Global checkpoint to start from; bare, resume from the saved position (else 0).',
      helpValue: '[N]',
      exclusive: ['from'],
      parse: async (input) => {
        if (input === BARE_FROM_CHECKPOINT) return 'saved';
        if (!/^[0-9]+$/.test(input) || !Number.isSafeInteger(Number(input))) throw new Error(`Expected a checkpoint (an integer of 0 or more) but received: ${input}`);
        return Number(input);
      },
    })(),
    from: Flags.integer({ description: 'Changeset id to start from (with STREAM).', min: 1 }),
    follow: Flags.boolean({ char: 'f', description: 'Keep printing new changesets as they are committed.' }),
    limit: Flags.integer({ description: 'Changesets per request (1 to 1000).', min: 1, max: 1000, default: 100 }),
    events: Flags.boolean({ description: 'Print one line per event instead of per changeset.' }),
    'checkpoint-file': Flags.string({ description: 'Resume from, and save progress to, this file (global order).', exclusive: ['consumer'] }),
    consumer: Flags.string({ helpValue: '<name>', description: 'Resume from, and save progress to, this consumer in the event store (global order).' }),
    exec: Flags.string({ helpValue: '<command>', description: 'Run this shell command once per batch, batch on stdin; move on only when it exits 0.' }),
    ...streamOutputFlags,
    'stream-prefix': Flags.string({ helpValue: '<prefix>', description: 'Only streams whose ids start with this (global order).' }),
    type: Flags.string({ helpValue: '<type>', description: 'Only changesets with an event of this type; repeatable (global order).', multiple: true }),
    since: Flags.string({ helpValue: '<age|time>', description: 'Start at the first changeset committed at or after this: 2h, 15m, 7d or an ISO 8601 time.', exclusive: ['from-checkpoint', 'from'] }),
    'max-wait': Flags.string({ description: 'With --follow, give up after the store has been unreachable this long (e.g. 1m; default: never).', dependsOn: ['follow'] }),
  };

  protected override async init(): Promise<void> {
    this.argv = withOptionalValue(this.argv, '--from-checkpoint', BARE_FROM_CHECKPOINT);
    await super.init();
  }

  /** Following outlives a server restart: "reconnecting…" at a terminal, a JSON-free stderr line otherwise. */
  private followRetry(maxWait: string | undefined, json: boolean): FollowRetry {
    const interactive = process.stderr.isTTY === true && !json;
    return {
      maxWaitMs: maxWait === undefined ? undefined : parseDuration(maxWait, '--max-wait'),
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
      if (flags['stream-prefix'] !== undefined || flags.type !== undefined || flags.since !== undefined) {
        throw new EesError('INVALID_USAGE', '--stream-prefix, --type and --since filter the global order: leave STREAM out.');
      }
      if (flags['checkpoint-file'] !== undefined || flags.consumer !== undefined || flags.exec !== undefined) {
        throw new EesError('INVALID_USAGE', '--checkpoint-file, --consumer and --exec work with the global order: leave STREAM out and filter the JSON.');
      }
    } else if (flags.exec !== undefined && flags['checkpoint-file'] === undefined && flags.consumer === undefined) {
      throw new EesError('INVALID_USAGE', '--exec needs --consumer or --checkpoint-file, to keep the position of the batches it applied.');
    } else if (flags.from !== undefined) {
      throw new EesError('INVALID_USAGE', '--from is a changeset id of STREAM; for the global order use --from-checkpoint.');
    }

    const store = await this.connect(flags);
    const client = store.http;
    const exec = flags.exec;
    // --exec hands the command JSON Lines.
    const json = exec !== undefined || this.jsonOutput(flags);
    const color = this.colors(flags);
    const stop = this.stopSignal();
    const unit = flags['data-only'] ? 'data' : flags.events ? 'events' : 'changesets';

    let batches: AsyncIterable<TailBatch>;
    const checkpointFile = flags['checkpoint-file'];
    const retry = this.followRetry(flags['max-wait'], json);
    let position: SavedPosition | undefined;
    if (args.stream === undefined) {
      position = flags.consumer !== undefined ? consumerPosition(client, flags.consumer) : checkpointFile === undefined ? undefined : checkpointFilePosition(checkpointFile);
      const since = flags.since === undefined ? undefined : parseSinceFlag(flags.since);
      const saved = await position?.load();
      if (since !== undefined && saved !== undefined) throw new EesError('INVALID_USAGE', '--since starts over at a time, but a position is saved: remove it, or leave --since out to resume.');
      const start = startOf({ fromCheckpoint: flags['from-checkpoint'], saved, source: position });
      const from = since !== undefined ? await store.checkpointAt(since) : start === 'head' ? (flags.follow ? await store.headCheckpoint() : 0) : start;
      if (checkpointFile !== undefined && saved !== undefined) await this.warnBeyondHead(store, checkpointFile, saved);
      await position?.begin(from, saved);
      const feed = { from, pageSize: flags.limit, signal: stop, eventIds: unit === 'events', streamPrefix: flags['stream-prefix'], types: flags.type };
      batches = wireBatches(flags.follow ? store.subscribe({ ...feed, ...retry }) : store.readAll(feed));
    } else {
      batches = tailStream(client, args.stream, { from: flags.from, limit: flags.limit, follow: flags.follow, signal: stop, retry });
    }
    for await (const batch of tailRecords(client, batches, { unit, count: flags.count })) {
      // With --exec the batch's lines go to the command, all at once; otherwise to stdout.
      const lines: string[] = [];
      for (const record of batch.records) {
        for (const line of formatTailRecord(color, record, { json, showStream: args.stream === undefined })) {
          if (exec === undefined) this.print(line);
          else lines.push(line);
        }
      }
      const next = batch.nextCheckpoint;
      if (exec !== undefined && next !== undefined) {
        const from = batch.records[0]?.changeset.checkpoint ?? next;
        if (!(await deliverToCommand(exec, { lines, from, next }, stop))) break;
      }
      if (next !== undefined) await position?.advance(next);
    }
  }

  /** A checkpoint file ahead of the store, e.g. after the store was recreated, would skip everything silently. */
  private async warnBeyondHead(store: RemoteEventStore, path: string, saved: number): Promise<void> {
    const head = await store.headCheckpoint();
    if (saved > head) {
      process.stderr.write(`ees: warning: the checkpoint in ${path} (${saved}) is beyond the head of the global order (${head}): was the store recreated? Nothing is printed until the head passes it; remove ${path} to start over.\n`);
    }
  }
}
