import { Help, type Command } from '@oclif/core';
import { EXIT_CODES } from '../core/errors.js';

const EXIT_CODE_MEANINGS: Record<keyof typeof EXIT_CODES, string> = {
  success: 'success',
  unexpected: 'unexpected failure',
  invalidInput: 'invalid usage or input (bad flags, unknown command, unreadable file, malformed JSON)',
  conflict: 'concurrency conflict (the stream or consumer is not where the expectation said)',
  streamNotFound: 'stream or consumer not found',
  unreachable: 'endpoint unreachable, timed out, or not an ees server',
  unauthorized: 'authentication or authorisation refused',
  outcomeUnknown: 'commit outcome unknown: sent, but no answer came back (it may be stored)',
  execFailed: 'the --exec command failed on a batch (the position was kept)',
};

/** A line that starts a block of its own: indented, a list item, a table row. */
const STARTS_BLOCK = /^(\s|[-*•|]|\d+[.)] )/;

/**
 * Joins the hard-wrapped lines of each paragraph, so oclif wraps the text once, at the terminal's
 * width, instead of re-wrapping lines already broken near 100 columns into ragged ones.
 */
export function reflow(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((paragraph) =>
      paragraph
        .split('\n')
        .reduce<string[]>((lines, line) => {
          if (lines.length === 0 || STARTS_BLOCK.test(line) || STARTS_BLOCK.test(lines.at(-1)!)) lines.push(line);
          else lines[lines.length - 1] = `${lines.at(-1)!.trimEnd()} ${line.trim()}`;
          return lines;
        }, [])
        .join('\n'),
    )
    .join('\n\n');
}

/** oclif's help, with the exit codes scripts rely on added to `ees --help`, and reflowed descriptions. */
export default class EesHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const rows = (Object.keys(EXIT_CODES) as (keyof typeof EXIT_CODES)[]).map((key) => `  ${EXIT_CODES[key]}  ${EXIT_CODE_MEANINGS[key]}`);
    this.log(
      [
        '',
        'EXIT CODES',
        ...rows,
        '',
        'Errors are one line on stderr; with --json also one JSON object {"error", "message", "exit_code"} on stdout.',
        '--verbose or DEBUG=ees* adds the stack trace. Shell completion: ees autocomplete.',
      ].join('\n'),
    );
  }

  protected override formatCommand(command: Command.Loadable): string {
    return super.formatCommand(command.description === undefined ? command : { ...command, description: reflow(command.description) });
  }
}
