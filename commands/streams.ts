import { Args, Flags } from '@oclif/core';
import { ClientCommand } from '../src/cli/client-command.js';
import { EesError } from '../src/core/errors.js';

export default class Streams extends ClientCommand {
  static override summary = 'List stream ids by prefix, with each stream\'s last changeset, last event and commit time.';
  static override description = `Lists the streams whose ids start with PREFIX (all streams without it), in the order of their ids'
UTF-8 bytes, page after page (--limit per request, at most 100). With --json, or when stdout is not a
terminal, one JSON line per stream {"stream_id", "last_changeset_id", "last_event_id", "committed_at"}.
-n/--count N stops after N streams; --after ID starts after that stream id (the last one printed).

Exit codes: 0 listed, 2 invalid input, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> streams account-', '<%= config.bin %> streams --json > streams.jsonl', '<%= config.bin %> streams order- -n 10'];

  static override args = {
    prefix: Args.string({ description: 'Only streams whose ids start with this (a category, e.g. account-).', required: false }),
  };

  static override flags = {
    after: Flags.string({ description: 'Start after this stream id.' }),
    limit: Flags.integer({ description: 'Streams per request (1 to 100).', min: 1, max: 100, default: 100 }),
    count: Flags.integer({ char: 'n', description: 'Stop after N streams.', min: 0 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Streams);
    const prefix = args.prefix ?? '';
    if (prefix.includes('/')) throw new EesError('INVALID_USAGE', 'A stream prefix cannot hold "/".');
    // The low-level listing: --after and --limit are the API's own paging.
    const client = (await this.connect(flags)).http;
    const json = this.jsonOutput(flags);
    const color = this.colors(flags);
    let after = flags.after;
    let printed = 0;
    for (;;) {
      const page = await client.listStreams(prefix, { after, limit: flags.limit });
      for (const stream of page.streams) {
        if (flags.count !== undefined && printed >= flags.count) return;
        printed++;
        if (json) this.print(JSON.stringify(stream));
        else this.print(`${color.cyan(stream.stream_id)}  ${color.bold(`#${stream.last_changeset_id}`)}  ${color.dim(`event ${stream.last_event_id}  ${stream.committed_at}`)}`);
      }
      if (page.next_after === undefined || (flags.count !== undefined && printed >= flags.count)) break;
      after = page.next_after;
    }
    if (!json && printed === 0) this.print(color.dim(prefix === '' ? 'No streams.' : `No streams start with "${prefix}".`));
  }
}
