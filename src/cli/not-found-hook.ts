import { Errors, toConfiguredId, type Hook } from '@oclif/core';
import { closestMatch } from '../client/edit-distance.js';
import { EesError, EXIT_CODES } from '../core/errors.js';
import { reportFailure } from './error-output.js';

/**
 * An unknown command is a usage error (exit 2). At a terminal, @oclif/plugin-not-found asks
 * "Did you mean …?" and runs the answer; in scripts it is one line naming the closest command.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const argv = options.argv ?? [];
  const json = argv.includes('--json') || options.id === '--json';
  const shown = toConfiguredId(options.id, options.config);
  const commands = options.config.commands.filter((command) => !command.hidden).map((command) => toConfiguredId(command.id, options.config));
  const isFlag = shown.startsWith('-');
  if (!isFlag && !json && process.stdin.isTTY && process.stderr.isTTY) {
    const { default: askDidYouMean } = await import('@oclif/plugin-not-found');
    try {
      return await askDidYouMean.call(this, options);
    } catch (error) {
      // It exits 127 when the suggestion is declined: ees keeps 2 for every usage error.
      const oclif = (error as { oclif?: { exit?: number } }).oclif;
      if (oclif?.exit === 127) oclif.exit = EXIT_CODES.invalidInput;
      throw error;
    }
  }
  const suggestion = isFlag ? undefined : closestMatch(shown, commands);
  const message = isFlag
    ? `${shown} goes after a command (ees COMMAND ${shown}); ees --help lists the commands.`
    : `"${shown}" is not an ees command.${suggestion === undefined ? '' : ` Did you mean "${suggestion}"?`} ees --help lists the commands.`;
  reportFailure(new EesError('INVALID_USAGE', message), { exitCode: EXIT_CODES.invalidInput, json });
  throw new Errors.ExitError(EXIT_CODES.invalidInput);
};

export default hook;
