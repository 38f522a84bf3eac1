import { readProfilesFile, redactEndpoint } from '../../src/client/target.js';
import { ProfileCommand } from '../../src/cli/profile-command.js';

export default class ProfileList extends ProfileCommand {
  static override summary = 'List the saved targets; * marks the default.';
  static override description = 'With --json, or when stdout is not a terminal, one JSON object per line {"name", "endpoint", "auth", "default"}. Tokens are never printed.';
  static override examples = ['<%= config.bin %> profile list'];

  async run(): Promise<void> {
    const { flags } = await this.parse(ProfileList);
    const file = await readProfilesFile(this.config.configDir);
    const names = Object.keys(file.profiles).sort();
    for (const name of names) {
      const profile = file.profiles[name]!;
      const row = { name, endpoint: redactEndpoint(profile.endpoint), auth: profile.auth ?? 'none', ...(profile.region === undefined ? {} : { region: profile.region }), default: name === file.default };
      if (this.wantsJson(flags)) this.print(JSON.stringify(row));
      else this.print(`${row.default ? '*' : ' '} ${name.padEnd(16)} ${row.endpoint} (${row.auth}${profile.region === undefined ? '' : `, ${profile.region}`})`);
    }
    if (names.length === 0 && !this.wantsJson(flags)) this.print('No profiles yet: ees profile add NAME --endpoint URL saves one.');
  }
}
