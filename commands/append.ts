import { Args, Flags } from '@oclif/core';
import { checkChangesetLocally, parseChangesetInput } from '../src/client/input.js';
import { ClientCommand } from '../src/cli/client-command.js';
import { readInput } from '../src/cli/stdin.js';
import { explainCommitFailure } from '../src/client/commit-outcome.js';
import { validateStreamId } from '../src/core/params.js';
import type { Expectation } from '../src/core/types.js';

export default class Append extends ClientCommand {
  static override summary = 'Commit a changeset to a stream.';
  static override description = `Reads the changeset from --file or stdin, as {"events": [...], "metadata": {...}}, a bare JSON array
of events, or JSON Lines (one event per line). Concurrency control is mandatory: --expect N says the
stream's last changeset is N (0, the default, means a new stream); --expect-event N says its last
event is N.

Input that looks like a mistake is refused before anything is sent: a single object with
"metadata" but no "events", or with a key one edit away from "events", and ees's own read or tail
output. --raw takes the object (or each line) as one event on purpose. Input is read up to 4 MB.

Prints the new changeset id; with --json, or when stdout is not a terminal, the API's response.
On a conflict it exits 3; with --json the error object lists the changesets committed after the
expected one (forthcoming_changesets). An expectation ahead of the stream (--expect 1 on a stream
that does not exist) is a conflict too. If the commit was sent but no answer came back, it exits 7:
it may be stored; ees read STREAM --from N+1 tells.

Each commit carries a commit id (Idempotency-Key; a new UUID, or --commit-id): when the outcome of
an attempt is unknown (a timeout, a dropped connection) it is retried with the same id, up
to 4 attempts, and a server that stored an earlier attempt answers with that changeset, so a flaky
network makes neither a duplicate nor a spurious conflict. Exit 7 comes only after the last attempt.

Exit codes: 0 committed, 2 invalid input, 3 conflict, 5 unreachable, 6 refused, 7 outcome unknown.`;

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
    raw: Flags.boolean({ description: 'Take the input object (or each line) as one event, whatever its keys.' }),
    'commit-id': Flags.string({ description: 'The commit id (Idempotency-Key) to send; reuse the one of a commit whose outcome was unknown.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Append);
    validateStreamId(args.stream);
    const { text, source } = await readInput(flags.file);
    const body = parseChangesetInput(text, source, { metadata: flags.metadata, raw: flags.raw });
    const expectation: Expectation =
      flags['expect-event'] === undefined ? { kind: 'changeset', value: flags.expect ?? 0 } : { kind: 'event', value: flags['expect-event'] };
    checkChangesetLocally(args.stream, expectation, body);

    const store = await this.connect(flags);
    const json = this.jsonOutput(flags);
    let result;
    try {
      result = await store.append(args.stream, body.events, {
        expect: expectation.kind === 'event' ? { event: expectation.value } : { changeset: expectation.value },
        metadata: body.metadata,
        commitId: flags['commit-id'],
        // Scripts get one line on stderr, the final outcome; a terminal or --verbose hears of each retry.
        onRetry: ({ error, retryInMs }) => {
          if (process.stderr.isTTY === true || flags.verbose) process.stderr.write(`ees: ${error.message.replace(/\.$/, '')}; retrying with the same commit id in ${retryInMs / 1000}s.\n`);
        },
      });
    } catch (error) {
      throw explainCommitFailure(error, args.stream, expectation);
    }
    if (json) this.print(JSON.stringify({ stream_id: result.streamId, changeset_id: result.changesetId, ...(result.replayed ? { replayed: true } : {}) }));
    else this.print(`${this.colors(flags).green('✔')} ${args.stream}: changeset ${result.changesetId}${result.replayed ? ' (stored by an earlier attempt)' : ''}`);
  }
}
