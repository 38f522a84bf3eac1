import { Args, Flags } from '@oclif/core';
import { checkChangesetLocally, parseChangesetInput } from '../src/client/input.js';
import { ClientCommand } from '../src/cli/client-command.js';
import { readInput } from '../src/cli/stdin.js';
import { EesError } from '../src/core/errors.js';
import { validateStreamId } from '../src/core/params.js';
import type { Expectation } from '../src/core/types.js';

export default class Append extends ClientCommand {
  static override summary = 'Commit a changeset to a stream.';
  static override description = `Reads the changeset from --file or stdin, as {"events": [...], "metadata": {...}}, a bare JSON array
of events, or JSON Lines (one event per line). Concurrency control is mandatory: --expect N says the
stream's last changeset is N (0, the default, means a new stream); --expect-event N says its last
event is N.

Prints the new changeset id; with --json, or when stdout is not a terminal, the API's response.
On a conflict it exits 3 with one line on stderr; with --json the 409 body, listing the changesets
committed after the expected one, goes to stdout.

Exit codes: 0 committed, 2 invalid input, 3 conflict, 5 unreachable, 6 refused.`;

  static override examples = [
    `echo '{"type": "opened"}' | <%= config.bin %> append account-42`,
    '<%= config.bin %> append account-42 --expect 1 --file events.json',
    `<%= config.bin %> append account-42 --expect-event 3 --metadata '{"user": "ann"}' < events.jsonl`,
  ];

  static override args = {
    stream: Args.string({ description: 'Stream id.', required: true }),
  };

  static override flags = {
    expect: Flags.integer({ char: 'e', description: 'The expected last changeset of the stream (0: a new stream).', min: 0, exclusive: ['expect-event'] }),
    'expect-event': Flags.integer({ description: 'The expected last event of the stream.', min: 0 }),
    file: Flags.string({ char: 'f', description: 'Read the changeset from this file (- or absent: stdin).' }),
    metadata: Flags.string({ char: 'm', description: 'Metadata object as JSON; replaces the input\'s metadata.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Append);
    validateStreamId(args.stream);
    const { text, source } = await readInput(flags.file);
    const body = parseChangesetInput(text, source, flags.metadata);
    const expectation: Expectation =
      flags['expect-event'] === undefined ? { kind: 'changeset', value: flags.expect ?? 0 } : { kind: 'event', value: flags['expect-event'] };
    checkChangesetLocally(args.stream, expectation, body);

    const client = await this.connect(flags);
    const json = this.jsonOutput(flags);
    try {
      const result = await client.commit(args.stream, body, expectation.kind === 'event' ? { event: expectation.value } : { changeset: expectation.value });
      if (json) this.print(JSON.stringify(result));
      else this.print(`${this.colors(flags).green('✔')} ${args.stream}: changeset ${result.changeset_id}`);
    } catch (error) {
      if (error instanceof EesError && error.code === 'OPTIMISTIC_CONCURRENCY_EXCEPTION') {
        if (json && error.details !== undefined) this.print(JSON.stringify(error.details));
        const missed = (error.details?.['forthcoming_changesets'] as unknown[] | undefined)?.length ?? 0;
        const expected = expectation.kind === 'event' ? `event ${expectation.value}` : `changeset ${expectation.value}`;
        throw new EesError(
          'OPTIMISTIC_CONCURRENCY_EXCEPTION',
          `Conflict: "${args.stream}" has moved past ${expected}; ${missed} changeset(s) were committed after it. Read them (ees read ${args.stream}) and retry.`,
          { streamId: args.stream },
        );
      }
      throw error;
    }
  }
}
