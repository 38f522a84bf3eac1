import { describe, it } from 'vitest';
import { createSigner } from '../../src/client/sigv4.js';
import { profileFromStack } from '../../src/client/stack-target.js';
import { readProfiles, type Profile } from '../../src/client/target.js';
import { httpContract } from '../http/api-suite.js';

/**
 * `npm run test:aws`: the HTTP contract suite against a real deployed stack, as the original's
 * run-all-tests.sh did. Target: EES_TEST_STACK (with AWS_REGION), or EES_TEST_PROFILE (a profile
 * saved by `ees deploy`, read from EES_CONFIG_DIR or ~/.config/ees). Without either, it is skipped.
 * It appends test streams to that stack.
 */
async function target(): Promise<Profile | undefined> {
  const stack = process.env['EES_TEST_STACK'];
  if (stack !== undefined && stack !== '') return profileFromStack(stack, process.env['AWS_REGION'] ?? 'us-east-1');
  const profile = process.env['EES_TEST_PROFILE'];
  if (profile === undefined || profile === '') return undefined;
  const configDir = process.env['EES_CONFIG_DIR'] ?? `${process.env['HOME']}/.config/ees`;
  return (await readProfiles(configDir))[profile];
}

const configured = (process.env['EES_TEST_STACK'] ?? process.env['EES_TEST_PROFILE'] ?? '') !== '';

if (configured) {
  httpContract(
    'deployed stack',
    async () => {
      const profile = await target();
      if (profile === undefined) throw new Error('The profile named by EES_TEST_PROFILE does not exist.');
      return {
        url: profile.endpoint,
        close: async () => {},
        ...(profile.auth === 'iam' ? { sign: createSigner({ region: profile.region ?? process.env['AWS_REGION'] ?? 'us-east-1' }) } : {}),
      };
    },
    { remote: true },
  );
} else {
  describe('HTTP contract against a deployed stack', () => {
    it.skip('skipped: set EES_TEST_STACK=<stack name> (and AWS_REGION) or EES_TEST_PROFILE=<profile saved by ees deploy>', () => {});
  });
}
