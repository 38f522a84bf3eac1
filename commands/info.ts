import { Args } from '@oclif/core';
import { ClientCommand } from '../src/cli/client-command.js';
import { readStreamHead } from '../src/client/stream-head.js';
import { validateStreamId } from '../src/core/params.js';

export default class Info extends ClientCommand {
  static override summary = "Show where a stream ends: its last changeset and event ids, what --expect needs.";
  static override description = `Reads the stream's head without reading the stream: its last changeset id (what ees append --expect
takes) and its last event id (what --expect-event takes), and the commit time of the last changeset
where the server sends it. With --json, or when stdout is not a terminal, one JSON object
{"stream_id", "last_changeset_id", "last_event_id"}.

Exit codes: 0 shown, 2 invalid input, 4 stream not found, 5 unreachable, 6 refused.`;

  static override examples = ['<%= config.bin %> info account-42', '<%= config.bin %> info account-42 --json'];

  static override args = {
    stream: Args.string({ description: 'Stream id.', required: true }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Info);
    validateStreamId(args.stream);
    const client = (await this.connect(flags)).http;
    const head = await readStreamHead(client, args.stream);
    if (this.jsonOutput(flags)) {
      this.print(JSON.stringify(head));
      return;
    }
    const color = this.colors(flags);
    this.print(`${color.bold('Stream        ')}  ${head.stream_id}`);
    this.print(`${color.bold('Last changeset')}  ${head.last_changeset_id} ${color.dim(`(next: ees append ${args.stream} --expect ${head.last_changeset_id})`)}`);
    this.print(`${color.bold('Last event    ')}  ${head.last_event_id} ${color.dim(`(or --expect-event ${head.last_event_id})`)}`);
    if (head.committed_at !== undefined) this.print(`${color.bold('Committed at  ')}  ${head.committed_at}`);
  }
}
