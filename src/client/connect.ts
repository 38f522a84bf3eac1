import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { EesClient, type ClientOptions } from './http-client.js';
import { RemoteEventStore } from './remote-store.js';
import { resolveTarget, type Target } from './target.js';

export interface ConnectOptions {
  /** The API's URL; before EES_ENDPOINT, a stack, and profiles. */
  readonly endpoint?: string | undefined;
  /** A deployed stack, by name: its outputs say where it is and how it is protected (needs a region). */
  readonly stack?: string | undefined;
  /** The region of `stack` (else AWS_REGION), and of the SigV4 signature. */
  readonly region?: string | undefined;
  /** A target saved by `ees deploy` or `ees profile add` (else EES_PROFILE, else the default profile). */
  readonly profile?: string | undefined;
  /** Bearer token of an `ees dev --token` server (else EES_TOKEN). */
  readonly token?: string | undefined;
  /** AWS credentials for an IAM-protected stack; default: the standard AWS chain. */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  /** The longest one call may take, its retries included, in ms (a long poll adds its wait). */
  readonly timeout?: number | undefined;
  /** Where EES_ENDPOINT, EES_TOKEN, EES_PROFILE and AWS_REGION are read; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Where profiles.json is; default the CLI's (~/.config/ees). */
  readonly configDir?: string | undefined;
}

/** Settings only the CLI (its notices) and the embedded store (its transport) use. */
export interface TransportSettings {
  readonly onSlow?: ClientOptions['onSlow'] | undefined;
  readonly slowAfterMs?: number | undefined;
  readonly transport?: ClientOptions['transport'];
}

/** The CLI's config dir, as oclif places it, so that the library finds the profiles the CLI saved. */
export function defaultConfigDir(env: Readonly<Record<string, string | undefined>> = process.env): string {
  if (process.platform === 'win32') return join(env['LOCALAPPDATA'] || join(homedir(), 'AppData', 'Local'), 'ees');
  return join(env['XDG_CONFIG_HOME'] || join(homedir(), '.config'), 'ees');
}

/** The low-level HTTP client for a resolved target: signed with SigV4 for IAM targets, with a bearer token for token ones. */
export async function httpClientFor(
  target: Target,
  options: { timeout?: number | undefined; credentials?: ConnectOptions['credentials']; env?: ConnectOptions['env'] } & TransportSettings,
): Promise<EesClient> {
  const env = options.env ?? process.env;
  const common: ClientOptions = {
    endpoint: target.endpoint,
    timeoutMs: options.timeout,
    onSlow: options.onSlow,
    slowAfterMs: options.slowAfterMs,
    transport: options.transport,
  };
  if (target.auth === 'iam') {
    // Loaded only for IAM targets: the signer and the AWS credential chain are slow to import.
    const { createSigner } = await import('./sigv4.js');
    const given = options.credentials;
    const credentials = given === undefined ? undefined : typeof given === 'function' ? given : async () => given;
    return new EesClient({
      ...common,
      sign: createSigner({ region: target.region || env['AWS_REGION'] || 'us-east-1', ...(credentials === undefined ? {} : { credentials }) }),
    });
  }
  return new EesClient(target.token === undefined ? common : { ...common, token: target.token });
}

/** Where `connect` goes: the same precedence as the CLI's (endpoint, EES_ENDPOINT, stack, profile, default profile, local). */
export function targetOf(options: ConnectOptions): Promise<Target> {
  return resolveTarget({
    endpointFlag: options.endpoint,
    profileFlag: options.profile,
    tokenFlag: options.token,
    stackFlag: options.stack,
    regionFlag: options.region,
    stackProfile: async (stackName, region) => (await import('./stack-target.js')).profileFromStack(stackName, region),
    env: options.env ?? process.env,
    configDir: options.configDir ?? defaultConfigDir(options.env),
  });
}

/**
 * An event store over its HTTP API: a local `ees dev`, a deployed stack (SigV4), or a saved
 * profile, found as the CLI finds it. Close it when done (it keeps connections open).
 */
export async function connect<E = unknown>(options: ConnectOptions = {}): Promise<RemoteEventStore<E>> {
  const target = await targetOf(options);
  return new RemoteEventStore<E>(await httpClientFor(target, options));
}
