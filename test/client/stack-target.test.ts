import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { profileFromStack } from '../../src/client/stack-target.js';
import { resolveTarget } from '../../src/client/target.js';

const cloudFormation = mockClient(CloudFormationClient);
afterEach(() => cloudFormation.reset());

const client = () => new CloudFormationClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });

describe('--stack NAME', () => {
  it('reads the endpoint and auth mode from the stack outputs', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'ees-prod' }).resolves({
      Stacks: [
        {
          StackName: 'ees-prod',
          StackStatus: 'UPDATE_COMPLETE',
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: 'ApiEndpoint', OutputValue: 'https://abc.execute-api.eu-west-1.example/prod/' },
            { OutputKey: 'Auth', OutputValue: 'iam' },
          ],
        },
      ],
    });
    expect(await profileFromStack('ees-prod', 'eu-west-1', client())).toEqual({
      endpoint: 'https://abc.execute-api.eu-west-1.example/prod',
      region: 'eu-west-1',
      stack: 'ees-prod',
      auth: 'iam',
    });
  });

  it('says so when the stack does not exist, or is not an ees stack', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError' }));
    await expect(profileFromStack('nope', 'eu-west-1', client())).rejects.toMatchObject({ code: 'INVALID_USAGE', message: 'There is no stack nope in eu-west-1.' });
    cloudFormation.reset();
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'other', StackStatus: 'CREATE_COMPLETE', CreationTime: new Date(), Outputs: [] }] });
    await expect(profileFromStack('other', 'eu-west-1', client())).rejects.toMatchObject({ code: 'INVALID_USAGE', message: expect.stringContaining('no ApiEndpoint output') });
  });

  it('sits between EES_ENDPOINT and --profile, and needs a region', async () => {
    const stackProfile = async (stack: string, region: string) => ({ endpoint: `https://${stack}.${region}.example/prod`, region, stack, auth: 'iam' as const });
    const configDir = '/nonexistent';
    expect(await resolveTarget({ stackFlag: 's', regionFlag: 'eu-west-1', profileFlag: 'p', stackProfile, env: {}, configDir })).toMatchObject({
      endpoint: 'https://s.eu-west-1.example/prod',
      source: 'stack',
      auth: 'iam',
      region: 'eu-west-1',
    });
    expect(await resolveTarget({ stackFlag: 's', stackProfile, env: { EES_ENDPOINT: 'http://127.0.0.1:4000', AWS_REGION: 'x' }, configDir })).toMatchObject({ source: 'env' });
    await expect(resolveTarget({ stackFlag: 's', stackProfile, env: {}, configDir })).rejects.toMatchObject({ code: 'INVALID_USAGE', message: expect.stringContaining('needs a region') });
  });
});
