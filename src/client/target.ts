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
  readonly source: 'flag' | 'env' | 'profile' | 'default';
  readonly profile?: string;
  readonly auth: 'none' | 'iam' | 'token';
  readonly region?: string;
  readonly token?: string;
}

export interface TargetInputs {
  readonly endpointFlag?: string;
  readonly profileFlag?: string;
  readonly tokenFlag?: string;
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

export async function readProfiles(configDir: string): Promise<Record<string, Profile>> {
  const path = join(configDir, PROFILES_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as { profiles?: Record<string, Profile> };
    return parsed.profiles ?? {};
  } catch {
    throw new EesError('INVALID_USAGE', `${path} is not valid JSON; fix or remove it.`);
  }
}

/**
 * Which event store a client command talks to: --endpoint, then EES_ENDPOINT, then --profile or
 * EES_PROFILE, then the local default.
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
  const profileName = inputs.profileFlag ?? (inputs.env['EES_PROFILE'] || undefined);
  if (profileName !== undefined) {
    const profiles = await readProfiles(inputs.configDir);
    const profile = profiles[profileName];
    if (profile === undefined) {
      const known = Object.keys(profiles);
      throw new EesError(
        'INVALID_USAGE',
        `There is no profile "${profileName}" in ${join(inputs.configDir, PROFILES_FILE)}${known.length > 0 ? ` (known: ${known.join(', ')})` : ''}. \`ees deploy\` saves one.`,
      );
    }
    return {
      endpoint: checkedEndpoint(profile.endpoint, `profile ${profileName}`),
      source: 'profile',
      profile: profileName,
      auth: token !== undefined ? 'token' : (profile.auth ?? 'none'),
      token: token ?? profile.token,
      ...(profile.region === undefined ? {} : { region: profile.region }),
    };
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
