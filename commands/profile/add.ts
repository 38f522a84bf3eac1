import { Flags } from '@oclif/core';
import { saveProfile } from '../../src/client/profiles.js';
import { redactEndpoint } from '../../src/client/target.js';
import { checkedProfileName, ProfileCommand, profileNameArg } from '../../src/cli/profile-command.js';
import { EesError } from '../../src/core/errors.js';

export default class ProfileAdd extends ProfileCommand {
  static override summary = 'Save a named target (or replace one) in profiles.json.';
  static override description = `Saves an endpoint under a name that --profile NAME and EES_PROFILE then select (ees profile use NAME
makes it the default). --token saves a bearer token for an \`ees dev --token\` server; --auth iam signs
requests with SigV4 for a deployed stack (ees deploy saves such profiles itself). The file is
readable by its owner only.`;

  static override examples = [
    '<%= config.bin %> profile add local --endpoint http://127.0.0.1:3000',
    '<%= config.bin %> profile add shared --endpoint http://10.0.0.5:3000 --token "$TOKEN"',
    '<%= config.bin %> profile add prod --endpoint https://abc.execute-api.eu-west-1.amazonaws.com/prod --auth iam --region eu-west-1',
  ];

  static override args = { name: profileNameArg };

  static override flags = {
    endpoint: Flags.string({ description: 'URL of the event store.', required: true }),
    token: Flags.string({ description: 'Bearer token to send (implies --auth token).' }),
    auth: Flags.string({ description: 'How requests authenticate.', options: ['none', 'token', 'iam'] }),
    region: Flags.string({ description: 'AWS region, for --auth iam.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ProfileAdd);
    const name = checkedProfileName(args.name);
    let url: URL;
    try {
      url = new URL(flags.endpoint);
    } catch {
      throw new EesError('INVALID_USAGE', `--endpoint "${flags.endpoint}" is not a URL.`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EesError('INVALID_USAGE', `--endpoint "${flags.endpoint}" must be an http:// or https:// URL.`);
    const auth = (flags.auth ?? (flags.token === undefined ? 'none' : 'token')) as 'none' | 'token' | 'iam';
    if (auth === 'token' && flags.token === undefined) throw new EesError('INVALID_USAGE', '--auth token needs --token.');
    if (auth !== 'token' && flags.token !== undefined) throw new EesError('INVALID_USAGE', `--token goes with --auth token, not --auth ${auth}.`);
    const profile = {
      endpoint: flags.endpoint.replace(/\/+$/, ''),
      auth,
      ...(flags.token === undefined ? {} : { token: flags.token }),
      ...(flags.region === undefined ? {} : { region: flags.region }),
    };
    const path = await saveProfile(this.config.configDir, name, profile);
    if (this.wantsJson(flags)) this.print(JSON.stringify({ name, endpoint: redactEndpoint(profile.endpoint), auth, path }));
    else this.print(`Saved profile ${name} (${redactEndpoint(profile.endpoint)}) in ${path}.`);
  }
}
