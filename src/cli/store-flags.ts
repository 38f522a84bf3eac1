import { Flags } from '@oclif/core';
import { resolveStoreResources, type StoreResources } from '../operations/store-resources.js';

/** Flags of the operator commands that work on the tables and queues directly (`ees repair`, `ees dlq`). */
export const storeFlags = {
  stack: Flags.string({ description: 'The deployed stack (else the stack of --profile or of the default profile).', helpGroup: 'STORE' }),
  profile: Flags.string({ description: 'A profile saved by `ees deploy` (or EES_PROFILE): its stack.', helpGroup: 'STORE' }),
  region: Flags.string({ description: 'AWS region (else the profile\'s, else AWS_REGION).', helpGroup: 'STORE' }),
  'events-table': Flags.string({ description: 'The events table, instead of the stack\'s (with --meta-table).', helpGroup: 'STORE' }),
  'meta-table': Flags.string({ description: 'The meta table, instead of the stack\'s.', helpGroup: 'STORE' }),
  'table-prefix': Flags.string({ description: 'Tables named as `ees dev --engine dynamodb --table-prefix` names them.', helpGroup: 'STORE' }),
  'dynamodb-endpoint': Flags.string({ description: 'A DynamoDB Local endpoint instead of AWS.', helpGroup: 'STORE' }),
};

export function storeResourcesFrom(
  flags: { stack?: string | undefined; profile?: string | undefined; region?: string | undefined; 'events-table'?: string | undefined; 'meta-table'?: string | undefined; 'table-prefix'?: string | undefined; 'dynamodb-endpoint'?: string | undefined },
  configDir: string,
  extra: { indexerQueue?: string | undefined; publisherQueue?: string | undefined; changesetsTopic?: string | undefined; eventsTopic?: string | undefined } = {},
): Promise<StoreResources> {
  return resolveStoreResources({
    stack: flags.stack,
    profile: flags.profile,
    region: flags.region,
    eventsTable: flags['events-table'],
    metaTable: flags['meta-table'],
    tablePrefix: flags['table-prefix'],
    dynamodbEndpoint: flags['dynamodb-endpoint'],
    ...extra,
    env: process.env,
    configDir,
  });
}
