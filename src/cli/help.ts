import { Help } from '@oclif/core';
import { EXIT_CODES } from '../core/errors.js';

const EXIT_CODE_MEANINGS: Record<keyof typeof EXIT_CODES, string> = {
  success: 'success',
  unexpected: 'unexpected failure',
  invalidInput: 'invalid usage or input (bad flags, unreadable file, malformed JSON)',
  conflict: 'concurrency conflict',
  streamNotFound: 'stream or consumer not found',
  unreachable: 'endpoint unreachable or timed out',
  unauthorized: 'authentication or authorisation refused',
  execFailed: 'the --exec command failed on a batch (the position was kept)',
};

/** oclif's help, with the exit codes scripts rely on added to `ees --help`. */
export default class EesHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp();
    const rows = (Object.keys(EXIT_CODES) as (keyof typeof EXIT_CODES)[]).map((key) => `  ${EXIT_CODES[key]}  ${EXIT_CODE_MEANINGS[key]}`);
    this.log(['', 'EXIT CODES', ...rows, '', 'Errors are one line on stderr; --verbose or DEBUG=ees* adds the stack trace.'].join('\n'));
  }
}
