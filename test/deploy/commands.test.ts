import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/processes.js';

describe('the stack commands as processes', () => {
  const home = mkdtempSync(join(tmpdir(), 'ees-home-'));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  // No credentials anywhere, and nothing that could reach outside this machine.
  const noCredentials = {
    HOME: home,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_SESSION_TOKEN: '',
    AWS_PROFILE: '',
    AWS_CONFIG_FILE: join(home, 'missing-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'missing-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: '',
    AWS_DEFAULT_REGION: '',
  };

  it('synthesizes the template offline', async () => {
    const result = await runCli(['synth', '--stack-name', 'ees-ci'], { env: noCredentials });
    expect(result.code).toBe(0);
    const template = JSON.parse(result.stdout) as { Resources: Record<string, { Type: string }>; Outputs: Record<string, unknown> };
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => type === 'AWS::DynamoDB::Table')).toHaveLength(2);
    expect(types.filter((type) => type === 'AWS::Lambda::EventSourceMapping')).toHaveLength(2);
    expect(Object.keys(template.Outputs)).toContain('ApiEndpoint');
  });

  it('refuses to deploy without credentials: one line, exit 6, before any work', async () => {
    const result = await runCli(['deploy', '--region', 'eu-west-1', '--yes'], { env: noCredentials });
    expect(result.code).toBe(6);
    const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('['));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^ees: No usable AWS credentials for eu-west-1/);
  });

  it('asks for a region when none is set', async () => {
    const result = await runCli(['destroy', '--yes'], { env: noCredentials });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('ees: Which AWS region? Pass --region or set AWS_REGION.\n');
  });
});
