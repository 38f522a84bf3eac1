import { Args, Flags } from '@oclif/core';
import { ClientCommand } from '../src/cli/client-command.js';
import { formatChangeset, formatEvent, wireChangeset } from '../src/cli/format.js';
import { streamOutputFlags } from '../src/cli/output-flags.js';
import { EesError } from '../src/core/errors.js';
import { toJsonText } from '../src/core/json-text.js';
import { validateStreamId } from '../src/core/params.js';

export default class Read extends ClientCommand {
  static override summary = 'Print a stream\'s changesets, or its events.';
  static override description = `Follows the API's paging, so the whole range is printed however long the stream is.
With --json, or when stdout is not a terminal, prints JSON Lines: one changeset
{"stream_id", "changeset_id", "events", "metadata"} per line, or with --events one event
{"stream_id", "event_id", "data"} per line. -n/--count N stops after N of them; --data-only prints
the event payloads alone, one per line (what ees append reads back as JSON Lines).

Exit codes: 0 printed, 2 invalid input, 4 stream not found, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> read account-42', '<%= config.bin %> read account-42 --events --from 10 --json'];

  static override args = {
    stream: Args.string({ description: 'Stream id.', required: true }),
  };

  static override flags = {
    from: Flags.integer({ description: 'First changeset id (or event id, with --events).', min: 1 }),
    to: Flags.integer({ description: 'Last changeset id (or event id, with --events).', min: 1 }),
    events: Flags.boolean({ description: 'Print events instead of changesets.' }),
    ...streamOutputFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Read);
    validateStreamId(args.stream);
    if (flags.from !== undefined && flags.to !== undefined && flags.from > flags.to) {
      throw new EesError('INVALID_USAGE', `--from ${flags.from} is after --to ${flags.to}.`);
    }
    const store = await this.connect(flags);
    const json = this.jsonOutput(flags);
    const color = this.colors(flags);
    const range = { from: flags.from, to: flags.to };
    let left = flags.count ?? Number.POSITIVE_INFINITY;
    if (flags.events || flags['data-only']) {
      for await (const event of store.readStream(args.stream, { by: 'event', ...range })) {
        if (left-- <= 0) return;
        if (flags['data-only']) this.print(toJsonText(event.data));
        else this.print(json ? toJsonText({ stream_id: args.stream, event_id: event.eventId, data: event.data }) : formatEvent(color, { id: event.eventId, data: event.data }));
      }
      return;
    }
    for await (const changeset of store.readStream(args.stream, range)) {
      if (left-- <= 0) return;
      const wire = wireChangeset(changeset);
      if (json) this.print(toJsonText(wire));
      else for (const line of formatChangeset(color, wire, { showStream: false })) this.print(line);
    }
  }
}
