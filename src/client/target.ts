import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EesError } from '../core/errors.js';

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:3000';
export const PROFILES_FILE = 'profiles.json';

/** A named target, saved by `ees deploy` in the CLI's config dir. */
export interface Profile {
  readonly endpoint: string;
  readonly region?: string;
  readonly stack?: string;
  /** `iam`: requests are signed with SigV4; `token`: a bearer token; `none`: neither. */
  readonly auth?: 'none' | 'iam' | 'token';
  readonly token?: string;
}

export interface Target {
  readonly endpoint: string;
  /** Where the endpoint came from, in the order of precedence. */
  readonly source: 'flag' | 'env' | 'stack' | 'profile' | 'default';
  readonly profile?: string;
  readonly auth: 'none' | 'iam' | 'token';
  readonly region?: string;
  readonly token?: string;
}

export interface TargetInputs {
  readonly endpointFlag?: string | undefined;
  readonly profileFlag?: string | undefined;
  readonly tokenFlag?: string | undefined;
  /** --stack NAME: the outputs of a deployed stack, read with `stackProfile`. */
  readonly stackFlag?: string | undefined;
  readonly regionFlag?: string | undefined;
  readonly stackProfile?: (stackName: string, region: string) => Promise<Profile>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly configDir: string;
}

function checkedEndpoint(raw: string, from: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EesError('INVALID_USAGE', `The endpoint "${raw}" (${from}) is not a URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EesError('INVALID_USAGE', `The endpoint "${raw}" (${from}) must be an http:// or https:// URL.`);
  }
  return raw.replace(/\/+$/, '');
}

/** profiles.json: the named targets, and the one `ees profile use` made the default. */
export interface ProfilesFile {
  readonly profiles: Record<string, Profile>;
  readonly default?: string;
}

export async function readProfilesFile(configDir: string): Promise<ProfilesFile> {
  const path = join(configDir, PROFILES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw new EesError('INVALID_USAGE', `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
  }
  let parsed: { profiles?: Record<string, Profile>; default?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new EesError('INVALID_USAGE', `${path} is not valid JSON; fix or remove it.`);
  }
  return { profiles: parsed.profiles ?? {}, ...(typeof parsed.default === 'string' ? { default: parsed.default } : {}) };
}

export async function readProfiles(configDir: string): Promise<Record<string, Profile>> {
  return (await readProfilesFile(configDir)).profiles;
}

function fromProfile(profile: Profile, source: 'stack' | 'profile', name: string, token: string | undefined): Target {
  return {
    endpoint: checkedEndpoint(profile.endpoint, `${source} ${name}`),
    source,
    ...(source === 'profile' ? { profile: name } : {}),
    auth: token !== undefined ? 'token' : (profile.auth ?? 'none'),
    ...((token ?? profile.token) === undefined ? {} : { token: token ?? profile.token }),
    ...(profile.region === undefined ? {} : { region: profile.region }),
  };
}

/**
 * Which event store a client command talks to: --endpoint, then EES_ENDPOINT, then --stack (a
 * deployed stack's outputs), then --profile or EES_PROFILE, then the default profile (`ees profile
 * use`), then the local default.
 */
export async function resolveTarget(inputs: TargetInputs): Promise<Target> {
  const token = inputs.tokenFlag ?? inputs.env['EES_TOKEN'];
  const tokenAuth = token === undefined ? {} : { auth: 'token' as const, token };
  if (inputs.endpointFlag !== undefined) {
    return { endpoint: checkedEndpoint(inputs.endpointFlag, '--endpoint'), source: 'flag', auth: 'none', ...tokenAuth };
  }
  const fromEnv = inputs.env['EES_ENDPOINT'];
  if (fromEnv !== undefined && fromEnv !== '') {
    return { endpoint: checkedEndpoint(fromEnv, 'EES_ENDPOINT'), source: 'env', auth: 'none', ...tokenAuth };
  }
  if (inputs.stackFlag !== undefined) {
    const region = inputs.regionFlag ?? (inputs.env['AWS_REGION'] || inputs.env['AWS_DEFAULT_REGION'] || undefined);
    if (region === undefined) throw new EesError('INVALID_USAGE', `--stack ${inputs.stackFlag} needs a region: pass --region or set AWS_REGION.`);
    if (inputs.stackProfile === undefined) throw new EesError('INVALID_USAGE', '--stack is not available here.');
    return fromProfile(await inputs.stackProfile(inputs.stackFlag, region), 'stack', inputs.stackFlag, token);
  }
  const file = await readProfilesFile(inputs.configDir);
  const profileName = inputs.profileFlag ?? (inputs.env['EES_PROFILE'] || undefined) ?? file.default;
  if (profileName !== undefined) {
    const profile = file.profiles[profileName];
    if (profile === undefined) {
      const known = Object.keys(file.profiles);
      const chosenBy = inputs.profileFlag !== undefined ? '--profile' : inputs.env['EES_PROFILE'] ? 'EES_PROFILE' : '`ees profile use`';
      throw new EesError(
        'INVALID_USAGE',
        `There is no profile "${profileName}" (${chosenBy}) in ${join(inputs.configDir, PROFILES_FILE)}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}. \`ees profile add\` or \`ees deploy\` saves one.`,
      );
    }
    return fromProfile(profile, 'profile', profileName, token);
  }
  return { endpoint: DEFAULT_ENDPOINT, source: 'default', auth: 'none', ...tokenAuth };
}

/** An endpoint fit to print: any user name or password in the URL is masked. */
export function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    if (url.username === '' && url.password === '') return endpoint;
    url.username = '***';
    url.password = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return endpoint;
  }
}
