import { useProfile } from '../../src/client/profiles.js';
import { checkedProfileName, ProfileCommand, profileNameArg } from '../../src/cli/profile-command.js';

export default class ProfileUse extends ProfileCommand {
  static override summary = 'Make a saved target the default (when no --endpoint, EES_ENDPOINT, --profile or EES_PROFILE says otherwise).';
  static override examples = ['<%= config.bin %> profile use staging'];
  static override args = { name: profileNameArg };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ProfileUse);
    const name = checkedProfileName(args.name);
    const path = await useProfile(this.config.configDir, name);
    if (this.wantsJson(flags)) this.print(JSON.stringify({ name, default: true, path }));
    else this.print(`Profile ${name} is now the default (${path}).`);
  }
}
