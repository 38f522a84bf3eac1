import { defineConfig } from 'vitest/config';

const shared = {
  pool: 'forks' as const,
  testTimeout: 30_000,
  hookTimeout: 60_000,
  // @oclif/test captures output through the console only when this is off.
  disableConsoleIntercept: true,
  env: {
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // Any SDK client a test forgets to point at loopback fails here instead of reaching out.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: 'us-east-1',
    NO_COLOR: '1',
    DDB_LOCAL_TELEMETRY: '0',
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        test: { ...shared, name: 'unit', include: ['test/**/*.test.{ts,tsx}'], exclude: ['test/dynamodb/**', 'test/aws/**', 'test/slow/**'] },
      },
      {
        // One DynamoDB Local for the whole run, started by the global setup; tables are unique per file.
        test: { ...shared, name: 'dynamodb', include: ['test/dynamodb/**/*.test.ts'], globalSetup: ['test/dynamodb/global-setup.ts'] },
      },
    ],
  },
});
