import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAMBDA_ENTRIES, lambdaCodeDirectory } from '../../stack/lambda-code.js';

/** Lambda's cold start grows with the code it loads; 1 MB leaves the SDK, Powertools and ours room. */
const MAX_BUNDLE_BYTES = 1_000_000;

describe('the built Lambda bundles', () => {
  for (const name of LAMBDA_ENTRIES) {
    it(`${name} stays under 1 MB and carries Powertools inside (requires no package at run time)`, () => {
      const file = join(lambdaCodeDirectory(), name, 'index.js');
      expect(statSync(file).size).toBeLessThan(MAX_BUNDLE_BYTES);
      const code = readFileSync(file, 'utf8');
      // Powertools is a devDependency: the zip must hold it, never require it.
      expect(code).not.toMatch(/require\(["']@aws-lambda-powertools/);
      expect(code).toContain('CloudWatchMetrics');
      expect(code).toContain('ElasticEventStore');
    });
  }
});
