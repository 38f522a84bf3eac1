import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { EesError } from '../core/errors.js';
import type { ClientOptions } from './http-client.js';
import { redactEndpoint } from './target.js';

export type RequestSigner = NonNullable<ClientOptions['sign']>;

export interface SignerOptions {
  /** The API's region (the signing scope). */
  readonly region: string;
  /** Defaults to the standard AWS chain: environment, SSO, shared config and credentials files, process, IMDS/ECS. */
  readonly credentials?: AwsCredentialIdentityProvider;
}

/** The headers SigV4 adds; everything else the client sends already. */
const ADDED_HEADERS = ['authorization', 'x-amz-date', 'x-amz-content-sha256', 'x-amz-security-token'] as const;

/** The standard chain, loaded on first use only (it pulls in much of the SDK). Memoised by the SDK. */
function defaultCredentials(): AwsCredentialIdentityProvider {
  let provider: AwsCredentialIdentityProvider | undefined;
  return async () => {
    if (provider === undefined) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      provider = fromNodeProviderChain();
    }
    return provider();
  };
}

function credentialsError(error: unknown, endpoint: string): EesError {
  const message = error instanceof Error ? error.message.split('\n')[0]!.trim() : '';
  const nothingFound = message === '' || /could not load credentials from any providers/i.test(message);
  return new EesError(
    'UNAUTHORIZED',
    nothingFound
      ? `No AWS credentials found for signing requests to ${endpoint}: configure a profile or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.`
      : `Could not get AWS credentials for signing requests to ${endpoint}: ${message}`,
    { cause: error },
  );
}

/**
 * Signs requests to an IAM-protected API Gateway endpoint with SigV4 (service `execute-api`): the
 * method, the path (as sent, encoded once; SigV4 encodes it again), the query, the host header, the
 * other headers the client sends and a hash of the body. Returns only the headers to add.
 */
export function createSigner(options: SignerOptions): RequestSigner {
  const credentials = options.credentials ?? defaultCredentials();
  return async ({ method, url, headers, body }) => {
    let identity: AwsCredentialIdentity;
    try {
      identity = await credentials();
    } catch (error) {
      throw credentialsError(error, redactEndpoint(url.origin));
    }
    if (!identity.accessKeyId || !identity.secretAccessKey) throw credentialsError(undefined, redactEndpoint(url.origin));

    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const previous = query[name];
      query[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
    }
    const toSign: Record<string, string> = {};
    // A bearer token, if any, is replaced by the signature: never sign or send both.
    for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() !== 'authorization') toSign[name.toLowerCase()] = value;
    toSign['host'] = url.host;

    const signer = new SignatureV4({ service: 'execute-api', region: options.region, credentials: identity, sha256: Sha256 });
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query,
      headers: toSign,
      body,
    });
    const added: Record<string, string> = {};
    for (const name of ADDED_HEADERS) {
      const value = signed.headers[name];
      if (value !== undefined) added[name] = value;
    }
    return added;
  };
}
