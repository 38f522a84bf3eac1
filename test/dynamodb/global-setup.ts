import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal, type RunningDynamoDbLocal } from '../../src/dev/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodbEndpoint: string;
  }
}

// The SDK warns about Node 20 on first use; the tests know.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] = 'true';

let local: RunningDynamoDbLocal | undefined;

/** Starts DynamoDB Local once per test run (telemetry off), and kills it by PID at the end. */
export async function setup(project: TestProject): Promise<void> {
  local = await startDynamoDbLocal({ readyTimeoutMs: 60_000 });
  project.provide('dynamodbEndpoint', local.endpoint);
}

export async function teardown(): Promise<void> {
  await local?.stop();
}
