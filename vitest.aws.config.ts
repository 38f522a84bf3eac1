import { defineConfig } from 'vitest/config';

/** `npm run test:aws`: the contract suite against a deployed stack (reaches AWS; never in CI). */
export default defineConfig({
  test: { name: 'aws', include: ['test/aws/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 60_000 },
});
