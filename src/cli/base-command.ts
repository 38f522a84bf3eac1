import { Command, Errors, Flags, type Interfaces } from '@oclif/core';
import { EesError, EXIT_CODES } from '../core/errors.js';
import { reportFailure } from './error-output.js';

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

// oclif's own parser types (not exported by name): flags and args by name.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ParsedValues = { [name: string]: any };

/**
 * The base of every ees command: errors are one line on stderr with a stable exit code (the error
 * table's), under --json also one JSON object on stdout, and the stack trace only with --verbose
 * or DEBUG=ees*. It also keeps that exit code under --json, where oclif's own catch would turn it
 * into 1.
 */
export abstract class EesCommand extends Command {
  static override baseFlags = {
    verbose: Flags.boolean({ description: 'Show stack traces of errors.', helpGroup: 'GLOBAL' }),
  };

  /**
   * Every failure to parse the command line is a usage error (exit 2), whichever oclif error
   * raised it: a flag without its value, a value not among the options, a repeated flag.
   */
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    let parsed: Interfaces.ParserOutput<F, B, A>;
    try {
      parsed = await super.parse(options, argv);
    } catch (error) {
      if (error instanceof Errors.ExitError || error instanceof EesError) throw error;
      const message = (error as Error).message.replace(/\s*See more help with --help\s*$/, '');
      throw new EesError('INVALID_USAGE', `${message} (see ees ${this.id ?? ''} --help).`.replace('  ', ' '), { cause: error });
    }
    return parsed;
  }

  private stopping: { readonly signal: AbortSignal; readonly release: () => void } | undefined;

  /**
   * Aborted on SIGINT or SIGTERM: how a long-running command (dev, tail, stats --watch) is asked
   * to stop cleanly. Later signals are absorbed while it stops; the handlers go when the command ends.
   */
  protected stopSignal(): AbortSignal {
    if (this.stopping === undefined) {
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      this.stopping = {
        signal: controller.signal,
        release: () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        },
      };
    }
    return this.stopping.signal;
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    this.stopping?.release();
    return super.finally(error);
  }

  /** Keys a command adds to its JSON error object (status adds the target, for one). */
  protected errorJsonExtras(_error: unknown): Record<string, unknown> {
    return {};
  }

  /** Whether a failure also prints the JSON error object on stdout: with --json. */
  protected printsJsonErrors(): boolean {
    return this.jsonEnabled();
  }

  protected override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error;
    const exitCode = exitCodeFor(error);
    reportFailure(error, { exitCode, json: this.printsJsonErrors(), extras: this.errorJsonExtras(error) });
    if (wantsStackTraces(this.argv) && error.stack !== undefined) process.stderr.write(`${error.stack}\n`);
    process.exitCode = exitCode;
    throw new Errors.ExitError(exitCode);
  }
}
