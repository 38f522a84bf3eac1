import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../stack/app.js';
import { lambdaCodeDirectory } from '../../stack/lambda-code.js';

/**
 * cdk-nag's AwsSolutions and Serverless rule packs on the stack as `ees synth` builds it, in each
 * shape a deploy can take: every finding is fixed, or accepted next to the code with its reason.
 */
describe('cdk-nag on the synthesized stack', () => {
  const outdirs: string[] = [];
  afterAll(() => {
    for (const outdir of outdirs) rmSync(outdir, { recursive: true, force: true });
  });

  const findings = (options: { public?: boolean; alarms?: { email?: string; topicArn?: string } }): string[] => {
    const outdir = mkdtempSync(join(tmpdir(), 'ees-nag-'));
    outdirs.push(outdir);
    const { app } = buildApp({ stackName: 'ees-nag', lambdaCodeDirectory: lambdaCodeDirectory(), outdir, ...options });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
    try {
      app.synth();
    } catch (error) {
      return [String(error)];
    }
    return [];
  };

  it.each([
    ['the default stack', {}],
    ['a public API', { public: true }],
    ['alarms to an email address', { alarms: { email: 'ops@example.com' } }],
    ['alarms to an existing topic', { alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:pager' } }],
  ])('has no unaccepted finding for %s', (_name, options) => {
    expect(findings(options)).toEqual([]);
  });
});
