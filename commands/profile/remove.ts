import { removeProfile } from '../../src/client/profiles.js';
import { checkedProfileName, ProfileCommand, profileNameArg } from '../../src/cli/profile-command.js';

export default class ProfileRemove extends ProfileCommand {
  static override summary = 'Remove a saved target.';
  static override examples = ['<%= config.bin %> profile remove staging'];
  static override args = { name: profileNameArg };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ProfileRemove);
    const name = checkedProfileName(args.name);
    const path = await removeProfile(this.config.configDir, name);
    if (this.wantsJson(flags)) this.print(JSON.stringify({ name, removed: true, path }));
    else this.print(`Removed profile ${name} from ${path}.`);
  }
}
