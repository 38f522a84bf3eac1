import { Command, Errors, Flags } from '@oclif/core';
import { EesError, EXIT_CODES } from '../core/errors.js';

/** True when the user asked for stack traces. */
function wantsStackTraces(argv: readonly string[]): boolean {
  return argv.includes('--verbose') || /(^|,)ees(\*|:|,|$)/.test(process.env.DEBUG ?? '');
}

function exitCodeFor(error: unknown): number {
  if (error instanceof EesError) return error.exitCode;
  const oclif = (error as { oclif?: { exit?: number } }).oclif;
  if (oclif?.exit !== undefined) return oclif.exit;
  return EXIT_CODES.unexpected;
}

/**
 * The base of every ees command: errors are one line on stderr with a stable exit code (the error
 * table's), and the stack trace only with --verbose or DEBUG=ees*. It also keeps that exit code
 * under --json, where oclif's own catch would turn it into 1.
 */
export abstract class EesCommand extends Command {
  static override baseFlags = {
    verbose: Flags.boolean({ description: 'Show stack traces of errors.', helpGroup: 'GLOBAL' }),
  };

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    const exitCode = exitCodeFor(error);
    const oneLine = (error.message ?? String(error))
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .join(' ');
    process.stderr.write(`ees: ${oneLine}\n`);
    if (wantsStackTraces(this.argv) && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCode;
    throw new Errors.ExitError(exitCode);
  }
}
