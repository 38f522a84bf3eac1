import { defineConfig } from 'vitest/config';

/** The slow suite (`npm run test:slow`): crash rounds, memory bounds and the installed package, run by CI after `npm test`. */
export default defineConfig({
  test: {
    name: 'slow',
    include: ['test/slow/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    // The install test compiles better-sqlite3 from source in its setup (about 2.5 minutes here).
    hookTimeout: 600_000,
    env: { AWS_EC2_METADATA_DISABLED: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' },
  },
});
