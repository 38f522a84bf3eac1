import { Args } from '@oclif/core';
import { EesError } from '../core/errors.js';
import { EesCommand } from './base-command.js';

/** A profile name as `ees profile` commands take it. */
export const profileNameArg = Args.string({ description: 'Profile name (letters, digits, ".", "_", "-").', required: true });

export function checkedProfileName(name: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new EesError('INVALID_USAGE', `"${name}" is not a profile name: use letters, digits, ".", "_" and "-" (at most 64).`);
  return name;
}

/** Base of `ees profile …`: they edit profiles.json in the config dir and talk to no server. */
export abstract class ProfileCommand extends EesCommand {
  static override enableJsonFlag = true;

  protected wantsJson(flags: { json?: boolean | undefined }): boolean {
    return flags.json === true || !process.stdout.isTTY;
  }

  protected print(line: string): void {
    process.stdout.write(`${line}\n`);
  }
}
